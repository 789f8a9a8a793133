// The Prometheus Operator's ServiceMonitor and PrometheusRule (monitoring.coreos.com/v1) as CustomResourceDefinitions
// with the part of their schema the forwarder chart uses, written to the operator's rules: durations in its own format
// (a whole number per unit, no fractions), rule expressions as int-or-string, a rule group's name required and unique,
// each rule's expr required, labels and annotations strings. Unknown fields are pruned by the API server, as with the
// operator's own CRDs; what is checked is that the chart's objects have these fields in these shapes.
import { ApiextensionsV1Api, type KubeConfig, type V1CustomResourceDefinition } from '@kubernetes/client-node';

/** The operator's duration: 30s, 1m30s, 0 (not 1.5m). */
const duration = { type: 'string', pattern: '^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$' };
const stringMap = { type: 'object', additionalProperties: { type: 'string' } };
const labelSelector = {
  type: 'object',
  properties: {
    matchLabels: stringMap,
    matchExpressions: { type: 'array', items: { type: 'object', required: ['key', 'operator'], properties: { key: { type: 'string' }, operator: { type: 'string' }, values: { type: 'array', items: { type: 'string' } } } } },
  },
};

function crd(kind: string, plural: string, spec: object): V1CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.monitoring.coreos.com` },
    spec: {
      group: 'monitoring.coreos.com',
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
      scope: 'Namespaced',
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', required: ['spec'], properties: { spec } } } }],
    },
  };
}

export const serviceMonitorCrd = crd('ServiceMonitor', 'servicemonitors', {
  type: 'object',
  required: ['selector'],
  properties: {
    selector: labelSelector,
    namespaceSelector: { type: 'object', properties: { any: { type: 'boolean' }, matchNames: { type: 'array', items: { type: 'string' } } } },
    endpoints: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          port: { type: 'string' },
          path: { type: 'string' },
          scheme: { type: 'string', enum: ['http', 'https'] },
          interval: duration,
          scrapeTimeout: duration,
        },
      },
    },
  },
});

export const prometheusRuleCrd = crd('PrometheusRule', 'prometheusrules', {
  type: 'object',
  properties: {
    groups: {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
      items: {
        type: 'object',
        required: ['name'],
        properties: {
          name: { type: 'string', minLength: 1 },
          interval: duration,
          rules: {
            type: 'array',
            items: {
              type: 'object',
              required: ['expr'],
              properties: {
                alert: { type: 'string' },
                record: { type: 'string' },
                expr: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
                for: duration,
                labels: stringMap,
                annotations: stringMap,
              },
            },
          },
        },
      },
    },
  },
});

/** Creates both CRDs and waits until the API server serves them. */
export async function installPrometheusOperatorCrds(admin: KubeConfig): Promise<void> {
  const api = admin.makeApiClient(ApiextensionsV1Api);
  for (const body of [serviceMonitorCrd, prometheusRuleCrd]) await api.createCustomResourceDefinition({ body });
  const deadline = Date.now() + 30_000;
  for (const { metadata } of [serviceMonitorCrd, prometheusRuleCrd]) {
    for (;;) {
      const current = await api.readCustomResourceDefinition({ name: metadata!.name! });
      if (current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`${metadata!.name} not established within 30 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
