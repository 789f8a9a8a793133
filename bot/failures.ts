// What oombot does with a failure it will not show: the whole error goes to the log under a reference, and the user is
// given only the reference — an AWS refusal names a role's ARN, a transport error an internal host. The log is the
// logger of the invocation or request being handled (`withLogger`): in a Lambda, JSON lines on stdout with the request
// id (functions/log.ts); in local mode, the file of OOMBOT_LOG_FILE (local/log.ts).
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { jsonLines, type Logger, type LogFields } from '#shared/log.ts';

const scope = new AsyncLocalStorage<Logger>();
/** Outside any scope: JSON lines on stdout, which Lambda collects. */
const fallback = jsonLines({ write: (line) => process.stdout.write(line) });

/** Runs `work` with `log` as the logger of everything bot/ logs inside it, however deep and however asynchronous. */
export function withLogger<T>(log: Logger, work: () => T): T {
  return scope.run(log, work);
}

/** The logger of the invocation or request being handled. */
export function currentLogger(): Logger {
  return scope.getStore() ?? fallback;
}

/** Logs the failure in full under `reference` (a new one when not given) and returns the reference. */
export function logFailure(msg: string, error: unknown, fields: LogFields = {}, reference: string = randomUUID(), level: 'error' | 'warn' = 'error'): string {
  currentLogger()[level](msg, { reference, ...fields, error });
  return reference;
}

/**
 * A step after what counts was done (a message posted, a workload patched): its failure is logged and reported false,
 * never thrown — a throw would read as the main step failing, and a retry would do it twice.
 */
export async function bestEffort(step: () => Promise<unknown>, failure: string, reference?: string, level: 'error' | 'warn' = 'error'): Promise<boolean> {
  try {
    await step();
    return true;
  } catch (error) {
    logFailure(failure, error, {}, reference, level);
    return false;
  }
}
