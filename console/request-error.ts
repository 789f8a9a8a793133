// A request the console refuses, answered as Slack answers: an HTTP status and `{ ok: false, error }` with Slack's
// error code, plus a detail for the person reading it.
export class ConsoleRequestError extends Error {
  override readonly name = 'ConsoleRequestError';
  constructor(
    readonly status: number,
    readonly error: string,
    readonly detail?: string,
  ) {
    super(detail ?? error);
  }
}
