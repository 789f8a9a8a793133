// Secrets out of a quoted log line (shared/redact-text.ts): what plainly is a credential goes, the words a runtime
// parser quotes a line for stay.
import { describe, expect, it } from 'vitest';
import { redactSecrets } from '#shared/redact-text.ts';

describe('redactSecrets', () => {
  it.each([
    ['a bearer token', 'GET /v1/charge Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjaGVja291dCJ9.c2ln', 'GET /v1/charge Authorization: Bearer [redacted]'],
    ['basic credentials', 'proxy sent Basic dXNlcjpwYXNzd29yZA== upstream', 'proxy sent Basic [redacted] upstream'],
    ['a JWT on its own', 'session eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2lkcCJ9.sig-part_1 expired', 'session [redacted] expired'],
    ['password=', 'connect host=db user=shop password=hunter2 sslmode=require', 'connect host=db user=shop password=[redacted] sslmode=require'],
    ['a dotted key in YAML style', 'spring.datasource.password: s3cr3t!', 'spring.datasource.password: [redacted]'],
    ['a JSON field', '{"level":"error","apiKey":"sk_live_51HxYz","msg":"quota"}', '{"level":"error","apiKey":"[redacted]","msg":"quota"}'],
    ['an AWS access key id and its secret', 'AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'AWS_ACCESS_KEY_ID=[redacted] AWS_SECRET_ACCESS_KEY=[redacted]'],
    ['a bare temporary AWS key id', 'assumed ASIAY34FZKBOKMUTVV7A for s3', 'assumed [redacted] for s3'],
    ['credentials in a URL', 'dial postgres://checkout:Sup3r@db.shop:5432/orders failed', 'dial postgres://checkout:[redacted]@db.shop:5432/orders failed'],
    ['a flag with its value', 'exec /app/server --db-password hunter2 --port 8080', 'exec /app/server --db-password [redacted] --port 8080'],
    ['Slack and GitHub tokens', 'posting with xoxb-1234567890-abcdefghij and ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'posting with [redacted] and [redacted]'],
    ['a private key', 'loaded -----BEGIN RSA PRIVATE KEY----- MIIEpAIBAAKCAQEA', 'loaded [redacted]'],
  ])('%s', (_name, line, want) => {
    expect(redactSecrets(line)).toBe(want);
  });

  it.each([
    'java.lang.OutOfMemoryError: Java heap space',
    'Terminating due to java.lang.OutOfMemoryError: Metaspace',
    'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory',
    'fatal error: runtime: out of memory',
    'PHP Fatal error:  Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes) in /app/vendor/auth/Guard.php on line 12',
    'memory allocation of 34359738368 bytes failed',
    "Unhandled exception. System.OutOfMemoryException: Exception of type 'System.OutOfMemoryException' was thrown.",
    'the bearer of bad news',
  ])('leaves a runtime\'s words as they are: %s', (line) => {
    expect(redactSecrets(line)).toBe(line);
  });
});
