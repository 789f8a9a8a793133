// What the Slack app answers, wired onto a Bolt App whatever its receiver: AwsLambdaReceiver in AWS (functions/slack),
// Socket Mode or the local console's HTTP receiver in local mode. Everything is acknowledged first (Slack's 3 s);
// work that can take longer — the patch, a live diagnosis — is handed to `dispatch` (the async `actions` function).
// A failure is logged with its stable code under a reference, and only the reference is said (bot/failures.ts).
import type { App } from '@slack/bolt';
import type { Logger } from '#shared/log.ts';
import type { ActionJob } from './actions.ts';
import { answerAlertAction, answerStormPick, sendAnswer } from './alert-actions.ts';
import { bestEffort, logFailure, withLogger } from './failures.ts';
import { ACTIONS } from './alert.ts';
import { parseOomCommand } from './command.ts';
import { answerOom, type CommandDeps } from './oom-command.ts';
import { slackText } from './slack-limits.ts';
import { STORM_PICK } from './storms.ts';

/** A Kubernetes name is at most 253 characters (a DNS subdomain); what was typed may be longer, and is cut there. */
const NAME_MAX = 253;

/** The store as CommandDeps has it: incidents, mutes and the audit trail are all the buttons and `/oom` touch here. */
export interface SlackAppDeps extends CommandDeps {
  /** Starts a job outside the request (Lambda async invoke, or a call in-process); resolves once it is handed over. */
  dispatch(job: ActionJob): Promise<void>;
  /**
   * The logger of every request (local mode's); without it, the logger of the invocation under way (the Lambda sets
   * it per invocation, with the request id).
   */
  log?: Logger;
}

export function registerOombot(app: App, deps: SlackAppDeps): void {
  const { log } = deps;
  if (log) app.use(({ next }) => withLogger(log, next));
  // What a listener let through (Bolt wraps it: toOombotError takes the original): logged with its code under a
  // reference, and thrown on, so that the receiver answers as before (HTTP 500, or Socket Mode's own handling). Bolt
  // calls this outside the middleware above, hence the logger again.
  app.error(async (error) => {
    if (log) withLogger(log, () => logFailure('the Slack app failed', error));
    else logFailure('the Slack app failed', error);
    throw error;
  });

  app.command('/oom', async ({ command, ack, respond }) => {
    const parsed = parseOomCommand(command.text);
    if (parsed.ok && parsed.command.kind === 'why') {
      const { pod, namespace } = parsed.command;
      await ack({ response_type: 'ephemeral', text: `🔎 Looking at pod ${slackText(pod, NAME_MAX)}${namespace ? ` in ${slackText(namespace, NAME_MAX)}` : ''}…` });
      await handOver(() => deps.dispatch({ kind: 'why', text: command.text, userId: command.user_id, responseUrl: command.response_url }), respond);
      return;
    }
    // help, recent, mute, unmute and bad input read or write only the store: answered in the acknowledgement, which
    // goes out whatever happens (a store that fails gets its error said, not a Slack timeout).
    let answer;
    try {
      answer = await answerOom(deps, command.text, command.user_id);
    } catch (error) {
      answer = { response_type: 'ephemeral' as const, text: failedOnMySide(logFailure('/oom failed', error)) };
    }
    await ack(answer);
  });

  app.action(ACTIONS.raise, async ({ action, body, ack, respond }) => {
    await ack();
    const value = 'value' in action ? action.value : undefined;
    if (!value || body.type !== 'block_actions') return;
    // Slack stamps every block action with action_ts; it makes the click's identity (applied once, only while fresh).
    const actionTs = 'action_ts' in action && typeof action.action_ts === 'string' ? action.action_ts : (Date.now() / 1000).toFixed(6);
    const message = body.message && body.channel ? { channel: body.channel.id, ts: body.message.ts, blocks: body.message['blocks'] as unknown[] | undefined } : undefined;
    await handOver(() => deps.dispatch({ kind: 'raise', incidentId: value, userId: body.user.id, actionTs, responseUrl: body.response_url, ...(message ? { message } : {}) }), respond);
  });

  // A workload chosen in a storm root's "Explain a workload…": its explanation and its own buttons, to the chooser
  // alone (bot/alert-actions.ts answerStormPick); the buttons then act through the listeners below and above.
  app.action(STORM_PICK, async ({ action, body, ack, respond }) => {
    await ack();
    try {
      const choice = action.type === 'static_select' ? action.selected_option.value : undefined;
      const channel = body.type === 'block_actions' ? (body.channel?.id ?? body.container?.['channel_id']) : undefined;
      const ts = body.type === 'block_actions' ? (body.message?.ts ?? body.container?.['message_ts']) : undefined;
      if (!choice || typeof channel !== 'string' || typeof ts !== 'string') return;
      await respond(await answerStormPick(deps, choice, { channel, ts }));
    } catch (error) {
      await respond({ response_type: 'ephemeral', replace_original: false, text: failedOnMySide(logFailure(`${STORM_PICK} failed`, error)) });
    }
  });

  // The other buttons carry an incident id; what they act on comes from the store (bot/alert-actions.ts).
  for (const actionId of [ACTIONS.mute1h, ACTIONS.mute24h, ACTIONS.unmute, ACTIONS.why, ACTIONS.runbook]) {
    app.action(actionId, async ({ action, body, ack, respond }) => {
      await ack();
      const value = 'value' in action ? action.value : undefined;
      try {
        // The clicked alert's blocks: Why? names its chart again, Mute and Unmute redraw it (bot/alert-actions.ts).
        const clicked = body.type === 'block_actions' && body.message ? { blocks: body.message['blocks'] as unknown[] | undefined, text: typeof body.message['text'] === 'string' ? body.message['text'] : undefined } : undefined;
        const answer = value ? await answerAlertAction(deps, actionId, value, body.user.id, clicked) : undefined;
        if (!answer) return;
        const { redraw, ...rest } = answer;
        // The mute holds whether or not the alert could be redrawn: a failed redraw is logged, and the answer still goes.
        if (redraw) await bestEffort(() => respond(redraw), `${actionId}: redrawing the alert failed; the change stands`, undefined, 'warn');
        await sendAnswer(respond, rest);
      } catch (error) {
        await respond({ response_type: 'ephemeral', replace_original: false, text: failedOnMySide(logFailure(`${actionId} failed`, error)) });
      }
    });
  }
}

/** A job that could not be handed over is said to the user, not lost in a log. */
async function handOver(start: () => Promise<void>, respond: (message: { response_type: 'ephemeral'; replace_original: false; text: string }) => Promise<unknown>): Promise<void> {
  try {
    await start();
  } catch (error) {
    logFailure('could not start the action', error);
    await respond({ response_type: 'ephemeral', replace_original: false, text: 'I could not start that just now (the actions function did not take it); try again in a minute.' });
  }
}

/**
 * What the user is told when answering failed: not the error, which may carry an ARN (an AWS refusal names the role)
 * or other internals, but a reference to the log line that has it.
 */
function failedOnMySide(reference: string): string {
  return `That failed on my side; try again in a minute. If it keeps failing, give your oombot operator this reference: \`${reference}\`.`;
}

