// Slack's request signature (api.slack.com/authentication/verifying-requests-from-slack), checked before anything
// parses the body: `v0=` + HMAC-SHA256 of `v0:<timestamp>:<raw body>` under the signing secret, compared in constant
// time, with the timestamp within five minutes of now — in either direction. Bolt's own check lets a timestamp from
// the future through and answers some malformed unsigned bodies with 500 after parsing them; this one says 401 first.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack's replay window. */
export const MAX_SKEW_S = 5 * 60;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export function verifySlackSignature(
  signingSecret: string,
  headers: { signature: string | undefined; timestamp: string | undefined },
  rawBody: string,
  nowMs: number = Date.now(),
): SignatureCheck {
  const { signature, timestamp } = headers;
  if (!signature || !timestamp) return { ok: false, reason: 'missing X-Slack-Signature or X-Slack-Request-Timestamp' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'X-Slack-Request-Timestamp is not a Unix time' };
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > MAX_SKEW_S) return { ok: false, reason: 'timestamp outside the five-minute window' };
  const expected = Buffer.from(`v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`);
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'signature does not match' };
  return { ok: true };
}

/** A header by name, whatever its case (API Gateway lower-cases them; other proxies may not). */
export function header(headers: Record<string, string | undefined> | null | undefined, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers ?? {})) if (k.toLowerCase() === lower) return v;
  return undefined;
}
