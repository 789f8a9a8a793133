// Slack's Block Kit limits (api.slack.com/reference/block-kit): a message holds at most 50 blocks; a header's text at
// most 150 characters; a section's text at most 3,000; a context block at most 10 elements; a button's value at most
// 2,000 characters; a button's text 75; a confirm dialog's title 100, text 300 and its buttons 30. The Slack double in the tests enforces the same numbers.
import { headOf } from '#shared/clip-text.ts';

export const SLACK_LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  /** A context block's text element. */
  contextText: 3000,
  contextElements: 10,
  buttonValue: 2000,
  /** A button's text, and a confirm dialog's title, text and confirm/deny labels. */
  buttonText: 75,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  /** chat.postMessage's `text`, the notification fallback: Slack truncates past 40,000; keep it short. */
  fallbackText: 300,
} as const;

/**
 * Cuts text to `max` characters, ending with an ellipsis when it had to cut — never inside a surrogate pair (half an
 * emoji makes the Web API client throw before it sends anything) nor inside an entity (`&g…` would show as text). Clip
 * after escaping: escaping lengthens the text.
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = headOf(text, max - 1).length;
  const amp = text.lastIndexOf('&', cut - 1);
  if (amp !== -1 && cut - amp < ENTITY_MAX && /^&(amp|lt|gt);/.test(text.slice(amp, amp + ENTITY_MAX)) && text.indexOf(';', amp) >= cut) cut = amp;
  return `${text.slice(0, cut)}…`;
}

const ENTITY_MAX = '&amp;'.length;

/**
 * mrkdwn — and the top-level `text` of every message, which Slack parses the same way — treats &, < and > as control
 * characters: `<!channel>` pages a channel, `<https://…|here>` is a link. Every string that came from a cluster (names,
 * messages, annotations) goes through this before it reaches a Slack call; only oombot's own mentions (`<@U…>` of the
 * user who clicked) are written raw around it.
 */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** Escaped, then clipped to `max`: the one way cluster text becomes a length-bounded Slack text. */
export function slackText(text: string, max: number): string {
  return clip(escapeMrkdwn(text), max);
}

/**
 * The API server names the caller in a refusal (`User "arn:aws:sts::123456789012:assumed-role/…" cannot patch …`).
 * What is said in Slack names oombot instead: an account id and a role ARN are the operator's, not the channel's.
 */
export function withoutCaller(message: string): string {
  return message.replace(/\b(User|user|serviceaccount|system:serviceaccount:[^\s"]*) "[^"]*"/g, 'oombot').replace(/arn:aws[\w-]*:[^\s"]+/g, '(an AWS role)');
}
