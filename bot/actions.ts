// The work that cannot finish inside Slack's 3 s: the limit patch and live diagnoses. The `slack` function acknowledges
// first and hands a job here (the `actions` Lambda in AWS, a direct call in local mode). A job never fails silently:
// whatever happens, the user gets an answer — in the alert's thread for a change (who, what, before → after), or at
// the command's response_url. A failure is said with a reference, never with the error itself (an AWS refusal names
// the role's ARN; other errors say what only the operator needs): the full error is in the log under that reference.
// Once the patch went through, the change is made: what follows is best-effort and never reported as its failure.
import { randomUUID } from 'node:crypto';
import type { Block, KnownBlock } from '@slack/types';
import type { ChatPostMessageArguments, ChatUpdateArguments } from '@slack/web-api';
import * as z from 'zod';
import type { KubeTransport } from '../kube/rest.ts';
import type { ClickClaims, Incident, Incidents, RepeatGroups } from '../store/port.ts';
import { RECURRED_BLOCK, withHandled, withMuteState, withoutRecurred } from './alert.ts';
import { withCurrentMute } from './mute-state.ts';
import { holdsBlock } from './block-ids.ts';
import { sendAnswer } from './alert-actions.ts';
import { answerOom, type CommandDeps, type CommandReply } from './oom-command.ts';
import { proposedChange, raiseLimit, type RaiseDeps, type RaisePolicy } from './raise-limit.ts';
import { changeTexts, clickedChange, refusalText } from './raise-outcome.ts';
import { bestEffort, logFailure } from './failures.ts';
import { escapeMrkdwn, SLACK_LIMITS, slackText } from './slack-limits.ts';

// The policy's schema lives with the check that reads it; configuration loaders import it from here too.
export { RaisePolicySchema } from './raise-limit.ts';

export const ActionJobSchema = z.discriminatedUnion('kind', [
  /** `/oom why …`, answered at the command's response_url. */
  z.object({ kind: z.literal('why'), text: z.string().max(4000), userId: z.string().min(1), responseUrl: z.url() }),
  /** The Raise limit / Set request button. The incident id is all that is trusted; the message is only redrawn. */
  z.object({
    kind: z.literal('raise'),
    incidentId: z.string().min(1).max(200),
    userId: z.string().min(1),
    /** Slack's action_ts of the click ("1764238443.000100"): one click is applied once, and only while fresh. */
    actionTs: z.string().regex(/^\d+(\.\d+)?$/),
    responseUrl: z.url().optional(),
    message: z.object({ channel: z.string(), ts: z.string(), blocks: z.array(z.unknown()).optional() }).optional(),
  }),
]);
export type ActionJob = z.infer<typeof ActionJobSchema>;

export interface ActionDeps {
  /** Clicks claimed once, the incident clicked, its group's root once redrawn; what the raise and `why` use. */
  store: ClickClaims & Incidents & Pick<RepeatGroups, 'replaceRepeatBlocks' | 'repeatMessage'> & RaiseDeps['store'] & CommandDeps['store'];
  cluster(name: string): KubeTransport | undefined;
  /** Who patches, where it is not `cluster` (a token cluster's patch token): bot/raise-limit.ts. */
  patcher?: RaiseDeps['patcher'];
  clusters: string[];
  policy: RaisePolicy;
  groupMembers?(groupId: string): Promise<string[]>;
  slack: { postMessage(args: ChatPostMessageArguments): Promise<unknown>; update(args: ChatUpdateArguments): Promise<unknown> };
  /** POSTs a message to a Slack response_url. */
  respond(url: string, message: CommandReply & { replace_original?: boolean }): Promise<void>;
  /** Remembers a group's root message as redrawn (the handled alert), so later counter updates keep it. */
  groupKeyOf?(incident: Incident): string;
  /** How long `why` may read the cluster here, outside Slack's 3 s (default 20 s). */
  whyBudgetMs?: number;
  /** Uploads the memory chart `why` shows (bot/chart-upload.ts). */
  charts?: CommandDeps['charts'];
  now?: () => number;
}

/**
 * Runs a job. `reference` names this run in the log and in what the user is told when something fails (the actions
 * function passes its Lambda request id).
 */
export async function runActionJob(deps: ActionDeps, job: ActionJob, reference: string = randomUUID()): Promise<void> {
  if (job.kind === 'why') {
    let reply: CommandReply;
    try {
      reply = await answerOom({ ...deps, whyBudgetMs: deps.whyBudgetMs ?? 20_000 }, job.text, job.userId);
    } catch (error) {
      logFailure('why failed', error, {}, reference);
      reply = { response_type: 'ephemeral', text: `I could not diagnose that: something failed on my side. Try again in a minute; if it keeps failing, give your oombot operator this reference: \`${reference}\`.` };
    }
    await sendAnswer((message) => deps.respond(job.responseUrl, message), reply);
    return;
  }
  await raise(deps, job, reference);
}

/** A click older than this is not applied: Lambda may deliver an asynchronous event late, or twice. */
export const MAX_CLICK_AGE_MS = 2 * 60_000;

async function raise(deps: ActionDeps, job: Extract<ActionJob, { kind: 'raise' }>, reference: string): Promise<void> {
  const toClicker = async (text: string) => {
    if (job.responseUrl) await deps.respond(job.responseUrl, { response_type: 'ephemeral', replace_original: false, text });
  };
  const now = (deps.now ?? Date.now)();
  const clickedAt = Number(job.actionTs) * 1000;
  if (now - clickedAt > MAX_CLICK_AGE_MS) {
    await toClicker(`Your click on ${escapeMrkdwn(job.incidentId)} reached me ${Math.round((now - clickedAt) / 60_000)} min late, so I did not apply it: nothing was changed. Click again if it is still needed.`);
    return;
  }
  // At-least-once delivery must not patch twice: the click is claimed once, for good (store/port.ts's ClickClaims).
  const clickId = `${job.incidentId}/${job.actionTs}/${job.userId}`;
  if ((await deps.store.claimClick(clickId, now)) === 'duplicate') return;
  const incident = await deps.store.incident(job.incidentId);
  if (!incident) {
    // No incident, no thread to answer in: only the one who clicked hears of it.
    await toClicker(`I have no incident ${escapeMrkdwn(job.incidentId)}: nothing was changed.`);
    return;
  }
  const thread = { channel: incident.message.channel, thread_ts: incident.message.ts };
  const verdict = incident.verdict;
  const label = proposedChange(verdict)?.label ?? 'Change its memory';
  const what = clickedChange(label);
  let outcome;
  try {
    // The incident loaded above, not read again: what was checked is what the raise acts on.
    outcome = await raiseLimit(deps, { incident, userId: job.userId });
  } catch (error) {
    // A cluster that cannot be reached, a store that failed: said in the thread, never silence. It may have failed
    // while the patch was on its way, so whether the workload changed is not claimed either way.
    logFailure('raise failed', error, { incidentId: job.incidentId }, reference);
    await deps.slack.postMessage({ ...thread, text: `⚠️ <@${job.userId}> asked to ${what}, and it failed on my side before I could confirm the change (reference \`${reference}\`). Check the workload's memory before trying again.` });
    return;
  }
  if (outcome.status === 'refused') {
    // The reason is oombot's own text; what came from the cluster in it was escaped and clipped there.
    if (outcome.audience === 'user') await toClicker(refusalText(outcome, job.userId, what));
    else await deps.slack.postMessage({ ...thread, text: refusalText(outcome, job.userId, what) });
    return;
  }
  const at = new Date(now).toISOString().slice(11, 16);
  if (outcome.auditError) logFailure('the audit record of a change could not be written', outcome.auditError, { incidentId: job.incidentId }, reference);
  // The change is made. Every step from here is best-effort: logged when it fails, never reported as a failure of the
  // change (nor thrown, which would tell the clicker it failed).
  const { thread: text, handled } = changeTexts(outcome, job.userId, at, reference);
  const replied = await bestEffort(() => deps.slack.postMessage({ ...thread, text }), 'the change was made, but the thread reply failed', reference);
  // Without the thread reply, the clicker is the one left to tell.
  if (!replied) await bestEffort(() => toClicker(`${text} (I could not post this in the alert's thread.)`), 'the change was made, but telling the clicker failed too', reference);
  // The alert shows it was handled: the button would only be refused now. Later repeats redraw it from the store.
  if (job.message?.blocks && job.message.ts === incident.message.ts) {
    // Kept without any mute, which every redraw applies as it then stands (bot/mute-state.ts): the clicked blocks may
    // show a mute that ran out or was undone since, or none made by /oom mute.
    const blocks = withMuteState(withHandled(job.message.blocks as (KnownBlock | Block)[], handled), undefined);
    await bestEffort(async () => deps.slack.update({ channel: incident.message.channel, ts: incident.message.ts, text: slackText(`${incident.headline} (handled)`, SLACK_LIMITS.fallbackText), blocks: await withCurrentMute(deps.store, blocks, (deps.now ?? Date.now)()) }), 'the change was made, but redrawing the alert as handled failed', reference);
    const groupKeyOf = deps.groupKeyOf;
    // Only the group's root is redrawn by counter updates: a reply clicked under a handled alert (it offers the button
    // again, bot/occurrence-messages.ts) must not become what the root is redrawn as.
    // A raise on such a reply is a new fix to wait on: the root's died-again mark goes, so the next death past the
    // thread's replies is offered the button once more (bot/grouping.ts).
    const keep = async (key: string) => {
      const root = await deps.store.repeatMessage(key);
      if (root?.ts === incident.message.ts) await deps.store.replaceRepeatBlocks(key, JSON.stringify(blocks));
      else if (root?.blocks && holdsBlock(root.blocks, RECURRED_BLOCK)) await deps.store.replaceRepeatBlocks(key, JSON.stringify(withoutRecurred(JSON.parse(root.blocks) as (KnownBlock | Block)[])));
    };
    if (groupKeyOf) await bestEffort(() => keep(groupKeyOf(incident)), "the change was made, but keeping the handled alert for its group's counter updates failed", reference);
  }
}

/** Posts to a response_url (Slack accepts JSON; it answers 404 once the URL expired after 30 min / 5 uses). */
export function responseUrlPoster(allowedOrigins: string[]): (url: string, message: unknown) => Promise<void> {
  return async (url, message) => {
    // Only Slack's own hosts (or the local console): the URL travels in a job, and a job must not aim oombot elsewhere.
    if (!allowedOrigins.includes(new URL(url).origin)) throw new Error(`refusing to post to ${new URL(url).origin}: not a Slack response_url`);
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(message), signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new Error(`Slack's response_url answered ${res.status}`);
  };
}

/**
 * Where Slack's response_urls point (api.slack.com/interactivity/handling), GovSlack's included, and the Web API's
 * own host when OOMBOT_SLACK_API_URL points elsewhere (a test double).
 */
export function slackResponseOrigins(slackApiUrl?: string): string[] {
  return ['https://hooks.slack.com', 'https://hooks.slack-gov.com', ...(slackApiUrl ? [new URL(slackApiUrl).origin] : [])];
}

/** Members of a Slack user group (usergroups.users.list, scope usergroups:read), kept a minute per warm instance. */
export function slackGroupMembers(client: { usergroups: { users: { list(args: { usergroup: string }): Promise<{ users?: string[] }> } } }, ttlMs = 60_000): (groupId: string) => Promise<string[]> {
  const cache = new Map<string, { at: number; users: string[] }>();
  return async (groupId) => {
    const hit = cache.get(groupId);
    if (hit && Date.now() - hit.at < ttlMs) return hit.users;
    const users = (await client.usergroups.users.list({ usergroup: groupId })).users ?? [];
    cache.set(groupId, { at: Date.now(), users });
    return users;
  };
}
