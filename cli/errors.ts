// What reaches the person at the terminal: one line on stderr and an exit code, from the error's stable code
// (shared/errors.ts) through the one table below — the contract in docs/architecture.md and the README's exit codes.
import { type ErrorCode, type OombotError, toOombotError } from '#shared/errors.ts';

/** The exit code of each error code: 2 usage/input/config, 3 not found, 4 the cluster or a service, 5 the local disk, 1 a bug. */
export const EXIT_CODES: Record<ErrorCode, number> = {
  'bad-usage': 2,
  'bad-input': 2,
  config: 2,
  'not-found': 3,
  unreachable: 4,
  forbidden: 4,
  aws: 4,
  slack: 4,
  io: 5,
  'stored-record': 5,
  internal: 1,
};

export function exitCodeOf(error: unknown): number {
  return EXIT_CODES[toOombotError(error).code];
}

/**
 * One line on stderr and the exit code. A bug (`internal`) says so; its stack is written only with OOMBOT_DEBUG —
 * never by default, whatever the error.
 */
export function reportError(error: unknown, io: { stderr: NodeJS.WritableStream }, debug: boolean = Boolean(process.env['OOMBOT_DEBUG'])): number {
  const e = toOombotError(error);
  const line = e.code === 'internal' ? `unexpected error: ${e.message} (this is a bug; rerun with OOMBOT_DEBUG=1 for details)` : e.message;
  writeQuietly(io.stderr, `oombot: ${line}\n`);
  if (debug) writeQuietly(io.stderr, `${stackOf(e)}\n`);
  return EXIT_CODES[e.code];
}

/** The stack of the error that was thrown (the cause of a normalised one), for OOMBOT_DEBUG. */
function stackOf(e: OombotError): string {
  const original = e.cause instanceof Error ? e.cause : e;
  return original.stack ?? String(original);
}

/** Writes what a failing stream cannot take without crashing the process (stderr may be the full disk too). */
function writeQuietly(stream: NodeJS.WritableStream, text: string): void {
  const swallow = () => {};
  stream.on('error', swallow);
  // On a failed write the stream emits 'error' after this callback: the listener stays to take it.
  stream.write(text, (error) => {
    if (!error) stream.off('error', swallow);
  });
}

/**
 * node:util's parseArgs explains in its first sentence ("Unknown option '--nope'"), then suggests `--`, which does not
 * apply to oombot's commands.
 */
export function firstSentence(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('. ')[0]!;
}
