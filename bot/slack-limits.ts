// Slack's Block Kit limits (api.slack.com/reference/block-kit): a message holds at most 50 blocks; a header's text at
// most 150 characters; a section's text at most 3,000; a context block at most 10 elements; a button's value at most
// 2,000 characters; a button's text 75; a confirm dialog's title 100, text 300 and its buttons 30. The Slack double in the tests enforces the same numbers.
//
// One path from any text to a Slack text field: `slackText` for mrkdwn (and a message's top-level `text`, which Slack
// parses the same way) escapes, then clips; `plainText` for plain_text (headers, buttons, an image's title and alt
// text) only clips, since Slack parses no link, mention or entity syntax there (api.slack.com/reference/block-kit/
// composition-objects#text: plain_text is unformatted). Lengths are counted in UTF-16 units, as JavaScript counts
// them: Slack's pages count "characters", and a text never has more code points (or characters) than UTF-16 units,
// so a text within our count is within Slack's. Cuts never split a surrogate pair, nor, where it is short, what a
// reader sees as one character: a flag, a ZWJ family, a letter and its accent (#shared/clip-text.ts headOfGraphemes).
import { headOfGraphemes } from '#shared/clip-text.ts';

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
  /**
   * A message that is only its top-level `text` (a reply to /oom, a button's answer, a thread line): Slack truncates a
   * posted text past 40,000 characters, and chat.update refuses one past 4,000 (console/slack-rules.ts) — 4,000 holds
   * wherever the text goes.
   */
  messageText: 4000,
} as const;

/**
 * Cuts text to `max` characters, ending with an ellipsis when it had to cut — never inside a surrogate pair (half an
 * emoji makes the Web API client throw before it sends anything) nor inside an entity (`&g…` would show as text). Clip
 * after escaping: escaping lengthens the text.
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = headOfGraphemes(text, max - 1).length;
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

/** Escaped, then clipped to `max`: the one way cluster text becomes a length-bounded mrkdwn text. */
export function slackText(text: string, max: number): string {
  return clip(escapeMrkdwn(text), max);
}

/**
 * A plain_text field's text: clipped to `max`, never through a surrogate pair, and not escaped — Slack parses no link
 * or mention in plain_text, so cluster text there cannot speak, and escaping would only lengthen it.
 */
export function plainText(text: string, max: number): string {
  return text.length <= max ? text : `${headOfGraphemes(text, max - 1)}…`;
}

/**
 * The API server names the caller in a refusal (`User "arn:aws:sts::123456789012:assumed-role/…" cannot patch …`).
 * What is said in Slack names oombot instead: an account id and a role ARN are the operator's, not the channel's.
 */
export function withoutCaller(message: string): string {
  return message.replace(/\b(User|user|serviceaccount|system:serviceaccount:[^\s"]*) "[^"]*"/g, 'oombot').replace(/arn:aws[\w-]*:[^\s"]+/g, '(an AWS role)');
}
