// The composition root of the backend, written once for the analyze and actions Lambdas and local mode
// (docs/architecture.md, "The flow" and "Local mode"): the dependencies of the analyze step (`makePostDeps`) and of the
// actions jobs (`makeActionDeps`), built from the same parts. The callers only choose their adapters — DynamoDB or the
// embedded file store, SSM or the environment, the cluster registry or the current kubeconfig, an asynchronous Lambda
// invoke or an in-process call — and call one builder. What each part reads from its environment is in
// functions/env.ts.
//
// Nothing here imports the AWS SDK or Bolt: the AWS adapters and the Lambdas' cold start are in functions/aws.ts, so
// local mode never loads the SDK. The `slack` function imports neither this file nor @slack/web-api 8: Bolt brings
// its own 7, and both would be in its bundle (docs/architecture.md, "Budgets").
import { WebClient } from '@slack/web-api';
import { responseUrlPoster, slackGroupMembers, type ActionDeps } from '../bot/actions.ts';
import { slackChartPublisher } from '../bot/chart-upload.ts';
import { groupKeyOf, type PostDeps } from '../bot/post-occurrence.ts';
import type { WarnSetting } from '../bot/routing.ts';
import type { RaisePolicy } from '../bot/raise-limit.ts';
import { DEFAULT_STORM_SETTINGS } from '../bot/storms.ts';
import type { StormSettings } from '../store/storms.ts';
import type { PatcherLookup } from '../kube/cluster-registry.ts';
import type { KubeTransport } from '../kube/rest.ts';
import type { Store } from '../store/port.ts';
import type { AnalyzeConfig } from './env.ts';

/** What the analyze step and the actions jobs are made of, from whichever adapters the caller chose. */
export interface Parts {
  store: Store;
  /** The bot token (xoxb-…): from SSM in AWS, from SLACK_BOT_TOKEN or made up for the console in local mode. */
  slackToken: string;
  /** Slack's Web API base URL, when it is not Slack's own (GovSlack, a test double, the local console). */
  slackApiUrl?: string | undefined;
  /** The cluster registry: a transport for a cluster by name, or undefined when it is not known. */
  cluster(name: string): KubeTransport | undefined;
  /**
   * Who patches a cluster (Raise limit), where it is not `cluster`: the registry's patch tokens (kube/cluster-registry.ts).
   * Unset in local mode, where the kubeconfig's one identity does both.
   */
  patcher?: PatcherLookup | undefined;
  /** The clusters oombot knows, by name (for --cluster and /oom recent). */
  clusters: string[];
}

/** The parts with the Web API clients: one for the actions jobs, one for alerts. */
export interface Backend extends Omit<Parts, 'slackToken' | 'slackApiUrl'> {
  /** Waits out 429s by Retry-After itself (Slack's ~1 message/s/channel) instead of dropping a message. */
  web: WebClient;
  /**
   * The analyze step's: a 429 is thrown at once (`rejectRateLimitedCalls`), with its Retry-After, for
   * bot/slack-rate-limits.ts to wait only while the invocation has time, and otherwise to fail it for the bus to retry.
   * The client alone would sleep a Retry-After of any length, past Lambda's timeout.
   */
  alerts: WebClient;
}

export function makeBackend({ slackToken, slackApiUrl, ...parts }: Parts): Backend {
  const options = { retryConfig: { retries: 5 }, ...(slackApiUrl ? { slackApiUrl } : {}) };
  return { ...parts, web: new WebClient(slackToken, options), alerts: new WebClient(slackToken, { ...options, rejectRateLimitedCalls: true }) };
}

/** Where alerts go and how they group: the Routing and windows of bot/post-occurrence.ts. */
export interface PostSettings {
  defaultChannel: string;
  namespaceChannels?: Record<string, string>;
  runbooks?: Record<string, string>;
  repeatWindowMs: number;
  evictionWindowMs: number;
  /** OOMBOT_WARN: warnings before the kill everywhere, or where annotated (the default). */
  warn?: WarnSetting;
  /** OOMBOT_STORM_*: when a channel is in a storm (bot/storms.ts's defaults when unset); `false` turns storms off. */
  storms?: StormSettings | false;
}

/** What bot/post-occurrence.ts's postOccurrence needs. */
export function makePostDeps(backend: Pick<Backend, 'store' | 'alerts' | 'cluster'>, settings: PostSettings): PostDeps {
  return {
    store: backend.store,
    slack: backend.alerts.chat,
    // An alert's memory chart, uploaded with the same token that posts it (bot/chart-upload.ts); a rate-limited upload
    // fails at once, and the alert has its sparkline instead.
    charts: slackChartPublisher(backend.alerts.files),
    cluster: backend.cluster,
    routing: {
      defaultChannel: settings.defaultChannel,
      ...(settings.namespaceChannels ? { namespaceChannels: settings.namespaceChannels } : {}),
      ...(settings.runbooks ? { runbooks: settings.runbooks } : {}),
      ...(settings.warn ? { warn: settings.warn } : {}),
    },
    repeatWindowMs: settings.repeatWindowMs,
    evictionWindowMs: settings.evictionWindowMs,
    storms: settings.storms === false ? undefined : (settings.storms ?? DEFAULT_STORM_SETTINGS),
  };
}

/**
 * PostSettings from the environment, read the same way in AWS and in local mode (which names its own channel, and the
 * Kubernetes docs as runbooks when OOMBOT_RUNBOOKS is unset).
 */
export function postSettings(
  config: Pick<AnalyzeConfig, 'OOMBOT_DEFAULT_CHANNEL' | 'OOMBOT_RUNBOOKS' | 'OOMBOT_REPEAT_WINDOW' | 'OOMBOT_EVICTION_WINDOW'> & Partial<Pick<AnalyzeConfig, 'OOMBOT_NAMESPACE_CHANNELS' | 'OOMBOT_WARN' | 'OOMBOT_STORM_THRESHOLD' | 'OOMBOT_STORM_WINDOW' | 'OOMBOT_STORM_QUIET'>>,
): PostSettings {
  const storms =
    config.OOMBOT_STORM_THRESHOLD === 0
      ? false
      : { threshold: config.OOMBOT_STORM_THRESHOLD ?? DEFAULT_STORM_SETTINGS.threshold, windowMs: config.OOMBOT_STORM_WINDOW ?? DEFAULT_STORM_SETTINGS.windowMs, quietMs: config.OOMBOT_STORM_QUIET ?? DEFAULT_STORM_SETTINGS.quietMs };
  return {
    storms,
    defaultChannel: config.OOMBOT_DEFAULT_CHANNEL,
    ...(config.OOMBOT_NAMESPACE_CHANNELS ? { namespaceChannels: config.OOMBOT_NAMESPACE_CHANNELS } : {}),
    runbooks: config.OOMBOT_RUNBOOKS as Record<string, string>,
    repeatWindowMs: config.OOMBOT_REPEAT_WINDOW,
    evictionWindowMs: config.OOMBOT_EVICTION_WINDOW,
    ...(config.OOMBOT_WARN ? { warn: config.OOMBOT_WARN } : {}),
  };
}

/**
 * What bot/actions.ts's runActionJob needs. `responseOrigins` are the hosts a job's response_url may name: Slack's
 * (bot/actions.ts's slackResponseOrigins), or the local console's.
 */
export function makeActionDeps(backend: Backend, o: { policy: RaisePolicy; responseOrigins: string[] }): ActionDeps {
  return {
    store: backend.store,
    cluster: backend.cluster,
    ...(backend.patcher ? { patcher: backend.patcher } : {}),
    clusters: backend.clusters,
    policy: o.policy,
    groupMembers: slackGroupMembers(backend.web),
    slack: backend.web.chat,
    respond: responseUrlPoster(o.responseOrigins),
    // `/oom why` shows the memory chart of the container's last alert, uploaded with the bot token.
    charts: slackChartPublisher(backend.web.files),
    groupKeyOf: (incident) => groupKeyOf(incident.cluster, incident.verdict),
  };
}
