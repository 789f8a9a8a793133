// Secrets out of free text before it is quoted: a line of a container's log may carry a token or a password as well as
// the words oombot quotes it for (shared/last-words.ts). The logger redacts by field name (shared/log.ts); a log line
// has no field names, so this looks at the text itself and replaces what plainly is a credential with "[redacted]".
// It is a net for the obvious, not a guarantee: the guarantee is that only the few lines a runtime parser matched are
// ever quoted, never the log around them.

const R = '[redacted]';

/** Names whose value is a secret in `name=value`, `name: value`, `"name": "value"` and `--name value` forms. */
const SECRET_KEY = String.raw`[\w.-]*(?:passw(?:or)?d|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?|auth)[\w.-]*`;

const RULES: [RegExp, (m: string, ...groups: string[]) => string][] = [
  // PEM private keys, whole or the part a clipped line holds.
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----(?:[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----|[\s\S]*)/g, () => R],
  // HTTP credentials: "Authorization: Bearer eyJ…", "Basic dXNlcjpwYXNzd29yZA==" (a prose "bearer of" is too short).
  [/\b(Bearer|Basic)(\s+)[A-Za-z0-9._~+/=-]{12,}/gi, (_m, scheme, space) => `${scheme}${space}${R}`],
  // JSON Web Tokens anywhere: three base64url parts, the first two JSON objects ("eyJ").
  [/\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, () => R],
  // AWS access key ids (IAM user, temporary STS, and the other unique-id prefixes AWS documents).
  [/\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}\b/g, () => R],
  // Slack and GitHub tokens.
  [/\bxox[abposr]-[A-Za-z0-9-]{10,}/g, () => R],
  [/\bgh[pousr]_[A-Za-z0-9]{30,}/g, () => R],
  // Credentials in a URL: scheme://user:password@host.
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+@/gi, (_m, head) => `${head}${R}@`],
  // "password=…", "db.password: …", "\"apiKey\": \"…\"", "AWS_SECRET_ACCESS_KEY=…", "--token …".
  // (An "Authorization: Bearer …" header keeps its scheme: the token went above.)
  [new RegExp(String.raw`(["']?${SECRET_KEY}["']?\s*[:=]\s*)(?!(?:Bearer|Basic)\s)("[^"]*"|'[^']*'|[^\s,;&"']+)`, 'gi'), (_m, head, value) => `${head}${value.startsWith('"') ? `"${R}"` : value.startsWith("'") ? `'${R}'` : R}`],
  [new RegExp(String.raw`(--${SECRET_KEY}\s+)(?!-)\S+`, 'gi'), (_m, head) => `${head}${R}`],
];

/** `text` with what plainly is a credential replaced by "[redacted]". */
export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, replace] of RULES) out = out.replace(pattern, replace as (m: string, ...g: unknown[]) => string);
  return out;
}
