// Whether Argo CD or Flux manages a workload: a change made beside Git would be reverted, or fight Git, so Raise refuses
// it and says where to make it (docs/architecture.md, "Security rules").

/** What of an object's metadata tells who manages it. */
export interface ManagedMetadata {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  managedFields?: { manager?: string }[];
}

/** Labels and annotations Argo CD and Flux put on what they manage. */
const GITOPS_MARKS: [string, 'label' | 'annotation', string][] = [
  ['argocd.argoproj.io/instance', 'label', 'Argo CD'],
  ['argocd.argoproj.io/tracking-id', 'annotation', 'Argo CD'],
  ['kustomize.toolkit.fluxcd.io/name', 'label', 'Flux'],
  ['helm.toolkit.fluxcd.io/name', 'label', 'Flux'],
];

const GITOPS_MANAGERS: Record<string, string> = { 'argocd-controller': 'Argo CD', 'argocd-application-controller': 'Argo CD', 'kustomize-controller': 'Flux', 'helm-controller': 'Flux' };

/** The tool that manages the object, and the mark that says so ("label argocd.argoproj.io/instance"); or undefined. */
export function gitopsOwner(metadata: ManagedMetadata | undefined): { tool: string; mark: string } | undefined {
  // The controllers' own field managers are the surest sign (Argo CD before 3.0 tracked by app.kubernetes.io/instance,
  // a label too common to trust alone). Own keys only: a manager named "constructor" is nobody's.
  const controller = (metadata?.managedFields ?? []).map((f) => f.manager).find((m) => m !== undefined && Object.hasOwn(GITOPS_MANAGERS, m));
  if (controller) return { tool: GITOPS_MANAGERS[controller]!, mark: `field manager ${controller}` };
  for (const [key, where, tool] of GITOPS_MARKS) {
    const marks = where === 'label' ? metadata?.labels : metadata?.annotations;
    if (marks?.[key] !== undefined) return { tool, mark: `${where} ${key}` };
  }
  return undefined;
}
