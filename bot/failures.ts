// What oombot does with a failure it will not show: the whole error goes to the log (JSON on stdout, which Lambda and
// local mode collect) under a reference, and the user is given only the reference — an AWS refusal names a role's
// ARN, a transport error an internal host.
import { randomUUID } from 'node:crypto';

/** Logs the failure in full under `reference` (a new one when not given) and returns the reference. */
export function logFailure(msg: string, error: unknown, fields: Record<string, unknown> = {}, reference: string = randomUUID(), level: 'error' | 'warn' = 'error'): string {
  process.stdout.write(`${JSON.stringify({ level, msg, reference, ...fields, error: error instanceof Error ? error.message : String(error) })}\n`);
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
