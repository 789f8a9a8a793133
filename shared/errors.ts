// The one error vocabulary of oombot (docs/code-style.md, "Typed errors with stable codes"). Every error a person or
// an operator sees is an OombotError: a stable machine `code` from a small closed set, a message that says what was
// wrong and how to fix it, and the original error as `cause`. The edges — the Lambdas, the Slack app, the CLI, local
// mode, the console, the forwarder — turn whatever was thrown into one with `toOombotError`, in this one place; the CLI
// maps codes to exit codes (cli/errors.ts), the logs carry the code, Slack only ever gets a reference.
import type { ZodError } from 'zod';

/**
 * What went wrong, as a person would act on it. The CLI's exit code follows from it (cli/errors.ts):
 * - `bad-usage`: the command line is wrong (an unknown flag, a missing argument).
 * - `bad-input`: something given to oombot does not read as what it should be: a file, an envelope, a job, a request.
 * - `config`: a setting (environment variable, parameter, secret) is missing or invalid.
 * - `not-found`: the pod, container, memory-related termination or incident asked about does not exist.
 * - `unreachable`: a service did not answer or failed: a cluster's API (no kubeconfig, no connection, a time-out, a
 *   5xx), Slack or AWS over the network.
 * - `forbidden`: credentials were rejected or the permission is missing (401, 403, IAM, Slack scopes).
 * - `io`: the local disk refused a read or write: full, no permission, read-only, no such directory.
 * - `stored-record`: oombot's own stored data does not read (damaged, or written by a newer oombot).
 * - `aws`, `slack`: that service refused the request for another reason (throttling, a missing channel, …).
 * - `internal`: anything else, which is a bug.
 */
export const ERROR_CODES = ['bad-usage', 'bad-input', 'config', 'not-found', 'unreachable', 'forbidden', 'io', 'stored-record', 'aws', 'slack', 'internal'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class OombotError extends Error {
  override name = 'OombotError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type DiagnosisErrorCode = 'CONTAINER_NOT_FOUND' | 'NO_MEMORY_TERMINATION';

/**
 * What the diagnosis reports when it has nothing to diagnose; `code` says which, `toOombotError` makes it `not-found`.
 * It keeps its own codes because callers and tests tell the two apart.
 */
export class DiagnosisError extends Error {
  override name = 'DiagnosisError';
  constructor(
    readonly code: DiagnosisErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Node's file-system errno codes, and how to fix each. */
const FILE_SYSTEM: Record<string, (where: string) => string> = {
  ENOSPC: (where) => `no space left on the device${where}: free some space, or write somewhere else`,
  EDQUOT: (where) => `the disk quota is used up${where}: free some space, or write somewhere else`,
  EFBIG: (where) => `the file grew too large${where}: write somewhere else`,
  EACCES: (where) => `permission denied${where}: make it readable and writable for this user, or use another path`,
  EPERM: (where) => `operation not permitted${where}: make it writable for this user, or use another path`,
  EROFS: (where) => `read-only file system${where}: write somewhere else`,
  ENOENT: (where) => `no such file or directory${where}: create it, or use another path`,
  ENOTDIR: (where) => `a part of the path is not a directory${where}: use another path`,
  EISDIR: (where) => `a directory where a file was expected${where}: give a file`,
  EEXIST: (where) => `it exists already${where}: remove it, or use another path`,
  EMFILE: () => 'too many open files in this process: raise the limit (ulimit -n)',
  ENFILE: () => 'too many open files on this machine: close some programs, or raise the limit',
  EIO: (where) => `the disk reported an I/O error${where}: check the device`,
  EPIPE: () => 'the output was closed before everything was written (the reading program ended)',
};

/** Node's (and undici's) connection errno codes: nobody answered. */
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPROTO', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** AWS error names that mean the caller's role may not do it, or its credentials are not valid. */
const AWS_FORBIDDEN = /^(AccessDenied|AccessDeniedException|UnauthorizedOperation|UnrecognizedClientException|InvalidClientTokenId|ExpiredToken(Exception)?|InvalidSignatureException|KMSAccessDeniedException|CredentialsProviderError)$/;
/** AWS error names that mean a named resource does not exist: for oombot, a setting that names the wrong thing. */
const AWS_MISSING = /^(ParameterNotFound|ResourceNotFoundException|QueueDoesNotExist|AWS\.SimpleQueueService\.NonExistentQueue)$/;

/** Slack Web API error strings that mean the token is not valid or lacks a scope. */
const SLACK_FORBIDDEN = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'missing_scope', 'not_allowed_token_type', 'no_permission', 'ekm_access_denied']);

/**
 * Whatever was thrown, as an OombotError: itself when it already is one, else by what it is — a diagnosis with
 * nothing to diagnose, a Node system error (file system or network), a zod validation error, an AWS SDK error, a Slack
 * Web API error, a Kubernetes client error, oombot's store errors — and `internal` (a bug) for anything else. The
 * original is kept as `cause`; the message is one line, without a stack.
 */
export function toOombotError(error: unknown): OombotError {
  if (error instanceof OombotError) return error;
  if (error instanceof DiagnosisError) return new OombotError('not-found', error.message, { cause: error });
  if (!(error instanceof Error)) return new OombotError('internal', `something that is not an error was thrown: ${describe(error)}`, { cause: error });

  // store/'s errors, known by name: shared/ depends on nothing of ours (docs/architecture.md, "The parts").
  if (error.name === 'StoredRecordError') return new OombotError('stored-record', error.message, { cause: error });
  if (error.name === 'StoreFileError') {
    const code = (error as { code?: unknown }).code;
    return new OombotError(code === 'STORE_FILE_UNWRITABLE' || code === 'STORE_FILE_UNREADABLE' ? 'io' : 'stored-record', error.message, { cause: error });
  }

  // bot/'s answers to Slack's failures, known by name too: a channel that the fallback could not save (bot/grouping.ts)
  // is configuration to fix; a rate limit longer than the invocation's time (bot/slack-rate-limits.ts) is Slack's.
  if (error.name === 'ChannelUnreachableError') return new OombotError('config', error.message, { cause: error });
  if (error.name === 'SlackRateLimitedError') return new OombotError('slack', error.message, { cause: error });

  // A zod validation error, known by name and shape rather than by class: importing zod here would load all of it
  // into every command that can fail, `oombot --help` included (docs/architecture.md, "Budgets").
  if (isZodError(error)) {
    return new OombotError('bad-input', `not valid: ${error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'} ${i.message}`).join('; ')}`, { cause: error });
  }

  const slack = slackError(error);
  if (slack) return slack;

  const system = systemError(error);
  if (system) {
    const fileSystem = FILE_SYSTEM[system.code];
    if (fileSystem) return new OombotError('io', fileSystem(system.path ? ` (${system.syscall ?? 'using'} ${system.path})` : ''), { cause: error });
    if (NETWORK.has(system.code)) {
      const where = system.address ? `${system.address}${system.port ? `:${system.port}` : ''}` : system.hostname;
      return new OombotError('unreachable', `could not connect${where ? ` to ${where}` : ''} (${system.code}): check that it runs and that this machine can reach it`, { cause: error });
    }
  }

  if ('$metadata' in error && typeof error.name === 'string') {
    const message = `AWS refused the request (${error.name}): ${error.message}`;
    if (AWS_FORBIDDEN.test(error.name)) return new OombotError('forbidden', `${message}; grant the function's role this action on this resource`, { cause: error });
    if (AWS_MISSING.test(error.name)) return new OombotError('config', `${message}; check the setting that names it`, { cause: error });
    return new OombotError('aws', message, { cause: error });
  }

  // @kubernetes/client-node's ApiException: `code` is the HTTP status, `body` the API's Status (its message says what);
  // its own message also holds the response headers, which are not repeated.
  if (error.constructor.name === 'ApiException' && typeof (error as { code?: unknown }).code === 'number') {
    const { code: status, body } = error as Error & { code: number; body?: unknown };
    const said = typeof body === 'object' && body && 'message' in body && typeof body.message === 'string' ? `: ${body.message}` : '';
    if (status === 401 || status === 403) return new OombotError('forbidden', `the Kubernetes API refused (HTTP ${status})${said}: check the kubeconfig's credentials and RBAC`, { cause: error });
    if (status === 404) return new OombotError('not-found', `the Kubernetes API has no such object (HTTP 404)${said}`, { cause: error });
    return new OombotError(status >= 500 ? 'unreachable' : 'internal', `the Kubernetes API answered HTTP ${status}${said}`, { cause: error });
  }

  if (error.name === 'TimeoutError' || error.name === 'AbortError') return new OombotError('unreachable', `no answer in time: ${error.message}`, { cause: error });
  return new OombotError('internal', firstLine(error.message) || error.name, { cause: error });
}

interface SystemError {
  code: string;
  syscall?: string;
  path?: string;
  address?: string;
  port?: number;
  hostname?: string;
}

/** A Node system error (`code` like ENOSPC), on the error or in its cause chain (fetch wraps it in a TypeError). */
function systemError(error: unknown): SystemError | undefined {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (code in FILE_SYSTEM || NETWORK.has(code))) return e as SystemError;
  }
  return undefined;
}

/** @slack/web-api's and @slack/bolt's coded errors (`code` slack_webapi_… or slack_bolt_…). */
function slackError(error: Error): OombotError | undefined {
  const e = error as Error & { code?: unknown; data?: { error?: unknown }; original?: unknown; originals?: unknown; statusCode?: unknown; retryAfter?: unknown };
  if (typeof e.code !== 'string' || !e.code.startsWith('slack_')) return undefined;
  // Bolt wraps what a listener threw (asCodedError): what counts is the original.
  if (e.code === 'slack_bolt_unknown_error' && e.original !== undefined) return toOombotError(e.original);
  if (e.code === 'slack_bolt_multiple_listener_error' && Array.isArray(e.originals) && e.originals.length) return toOombotError(e.originals[0]);
  if (e.code === 'slack_webapi_platform_error') {
    const what = typeof e.data?.error === 'string' ? e.data.error : 'unknown';
    if (SLACK_FORBIDDEN.has(what)) return new OombotError('forbidden', `Slack refused the token (${what}): check the bot token and the app's scopes`, { cause: error });
    if (what === 'channel_not_found' || what === 'not_in_channel' || what === 'is_archived') return new OombotError('config', `Slack cannot post there (${what}): check the channel id and invite the app to it`, { cause: error });
    return new OombotError('slack', `Slack refused the request (${what})`, { cause: error });
  }
  if (e.code === 'slack_webapi_request_error') return new OombotError('unreachable', `could not reach Slack's Web API: ${e.original instanceof Error ? e.original.message : error.message}`, { cause: error });
  if (e.code === 'slack_webapi_rate_limited_error') return new OombotError('slack', `Slack is rate limiting (retry after ${String(e.retryAfter)} s)`, { cause: error });
  if (e.code === 'slack_webapi_http_error') return new OombotError('unreachable', `Slack's Web API answered HTTP ${String(e.statusCode)}`, { cause: error });
  return new OombotError('slack', `${e.code}: ${firstLine(error.message)}`, { cause: error });
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

function describe(value: unknown): string {
  if (typeof value === 'string') return firstLine(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function isZodError(error: Error): error is ZodError {
  return error.name === 'ZodError' && Array.isArray((error as { issues?: unknown }).issues);
}
