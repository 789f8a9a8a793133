// Slack's Block Kit limits (api.slack.com/reference/block-kit): a message holds at most 50 blocks; a header's text at
// most 150 characters; a section's text at most 3,000; a context block at most 10 elements; a button's value at most
// 2,000 characters; a button's text 75; a confirm dialog's title 100, text 300 and its buttons 30. The Slack double in the tests enforces the same numbers.
export const SLACK_LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
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

/** Cuts text to `max` characters, ending with an ellipsis when it had to cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** mrkdwn treats &, < and > as control characters; text from a cluster (messages, names) must be escaped. */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
