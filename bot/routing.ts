// Where an alert goes, decided from what is known by then — the verdict, the annotations of the pod, its workload and
// its namespace, the configured routes and whether its workload is muted — and nothing else: no I/O, so every rule is
// a line in a table of tests (test/unit/bot/routing.test.ts). The reads are bot/post-occurrence.ts's.
import type { Verdict } from '#shared/verdict.ts';
import { SLACK_LIMITS, slackText } from './slack-limits.ts';

/** Annotations users put on a pod (template), its workload or its namespace (docs/architecture.md, "Contracts outsiders rely on"). */
export const CHANNEL_ANNOTATION = 'oombot.io/slack-channel';
export const RUNBOOK_ANNOTATION = 'oombot.io/runbook';
export const OPT_OUT_ANNOTATION = 'oombot.io/alerts';
/** Opts a namespace or workload into warnings before the kill: "on" (or "off" where the cluster warns everywhere). */
export const WARN_ANNOTATION = 'oombot.io/warn';

/** OOMBOT_WARN: warn before the kill everywhere (`all`), or only where oombot.io/warn is "on" (`annotated`, the default). */
export type WarnSetting = 'all' | 'annotated';

export interface Routing {
  defaultChannel: string;
  /** namespace → channel */
  namespaceChannels?: Record<string, string>;
  /** Runbook URLs by cause ("limit", "node-pressure", "runtime", "not-oom", "unknown") or "default", used when no
   *  oombot.io/runbook annotation names one. */
  runbooks?: Record<string, string>;
  /** Warnings before the kill: everywhere, or where annotated (the default). */
  warn?: WarnSetting;
}

export interface RouteInput {
  /** What routing reads of the verdict: its cause (for the runbook) and its namespace. */
  verdict: { cause: Verdict['cause']; pod: Pick<Verdict['pod'], 'namespace'> };
  /** The annotations of each level that could be read, nearest first: the pod's, its workload's, its namespace's. */
  annotations: Record<string, string>[];
  routing: Routing;
  /** Until when its workload is muted (ms), if it is. */
  mutedUntil?: number | undefined;
}

export type Route =
  /** `oombot.io/alerts: "off"` on the nearest level that sets it. */
  | { to: 'nobody'; because: 'opted-out' }
  | { to: 'nobody'; because: 'muted'; until: number }
  | { to: 'channel'; channel: string; from: ChannelSource; runbookUrl?: string };

/** Who named the channel: what to fix when Slack answers that it is not there or oombot is not in it. */
export type ChannelSource = { by: 'annotation'; level: AnnotationLevel } | { by: 'namespace-setting' } | { by: 'default' };
/** The levels of RouteInput's annotations, nearest first. */
export const ANNOTATION_LEVELS = ['pod', 'workload', 'namespace'] as const;
export type AnnotationLevel = (typeof ANNOTATION_LEVELS)[number];

export function route({ verdict, annotations, routing, mutedUntil }: RouteInput): Route {
  // The nearest level that sets an annotation wins: a pod's "on" overrides its namespace's "off".
  const annotation = (key: string) => annotations.map((a) => a[key]).find((v) => v !== undefined);
  if (annotation(OPT_OUT_ANNOTATION) === 'off') return { to: 'nobody', because: 'opted-out' };
  if (mutedUntil !== undefined) return { to: 'nobody', because: 'muted', until: mutedUntil };
  const level = annotations.findIndex((a) => a[CHANNEL_ANNOTATION] !== undefined);
  const setting = routing.namespaceChannels?.[verdict.pod.namespace];
  const [channel, from]: [string, ChannelSource] =
    level !== -1 ? [annotations[level]![CHANNEL_ANNOTATION]!, { by: 'annotation', level: ANNOTATION_LEVELS[level] ?? 'namespace' }] : setting !== undefined ? [setting, { by: 'namespace-setting' }] : [routing.defaultChannel, { by: 'default' }];
  // Only https links become a button: an annotation is written by whoever may edit the workload.
  const runbookUrl = [annotation(RUNBOOK_ANNOTATION), routing.runbooks?.[verdict.cause], routing.runbooks?.['default']].find(isButtonUrl);
  return { to: 'channel', channel, from, ...(runbookUrl ? { runbookUrl } : {}) };
}

/**
 * The line an alert carries when it went to the default channel because Slack answered `channel_not_found` or
 * `not_in_channel` for the channel it was routed to (a mistyped name, a private channel oombot was not invited to):
 * which channel failed and how to fix it. Channel names and object names are cluster text: escaped.
 */
export function unreachableChannelNote(channel: string, from: ChannelSource, where: { namespace: string; pod: string; workload?: string | undefined }): string {
  const fix =
    from.by === 'annotation'
      ? `fix the ${CHANNEL_ANNOTATION} annotation on ${from.level === 'pod' ? `pod ${where.namespace}/${where.pod}` : from.level === 'workload' && where.workload ? `${where.workload} in namespace ${where.namespace}` : `namespace ${where.namespace}`}`
      : from.by === 'namespace-setting'
        ? `fix OOMBOT_NAMESPACE_CHANNELS for namespace ${where.namespace}`
        : 'fix OOMBOT_DEFAULT_CHANNEL';
  return slackText(`${channel} was not found or oombot is not in it: invite @oombot there or ${fix}.`, SLACK_LIMITS.contextText);
}

/**
 * Whether a warning before the kill is posted: the nearest level that sets oombot.io/warn decides ("on" or "off", as
 * oombot.io/alerts is resolved), else the cluster's setting. The analyzer decides, not the forwarder: it reads the
 * workload's and namespace's annotations for every alert already, and the forwarder watches pods only.
 */
export function warnWanted(annotations: Record<string, string>[], setting: WarnSetting = 'annotated'): boolean {
  // A value other than "on" or "off" is no opinion: the next level decides.
  const nearest = annotations.map((a) => a[WARN_ANNOTATION]).find((v) => v === 'on' || v === 'off');
  if (nearest === 'on') return true;
  if (nearest === 'off') return false;
  return setting === 'all';
}

/** A node's own alerts (a node OOM) have no pod to read annotations from: they go to the default channel. */
export function nodeChannel(routing: Routing): string {
  return routing.defaultChannel;
}

/** A URL a Slack button may open: https, parseable, and within Slack's 3,000 characters for a button's url. */
export function isButtonUrl(url: string | undefined): url is string {
  if (!url?.startsWith('https://') || url.length > 3000) return false;
  return URL.canParse(url);
}
