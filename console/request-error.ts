// A request the console refuses, answered as Slack answers: an HTTP status and `{ ok: false, error }` with Slack's
// error code, plus a detail for the person reading it. Its stable code (shared/errors.ts) follows from the status.
import { type ErrorCode, OombotError } from '#shared/errors.ts';

export class ConsoleRequestError extends OombotError {
  override readonly name = 'ConsoleRequestError';
  constructor(
    readonly status: number,
    readonly error: string,
    readonly detail?: string,
  ) {
    super(codeOf(status), detail ?? error);
  }
}

function codeOf(status: number): ErrorCode {
  if (status === 401 || status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 502) return 'unreachable'; // the app behind the console did not answer
  return status >= 400 && status < 500 ? 'bad-input' : 'internal';
}
