// The in-process bus of local mode, in place of EventBridge → analyze: the forwarder's queue hands it entries (a Sink,
// as the EventBridge sink is), it accepts them at once as PutEvents does, and invokes the analyze step for each, a few
// at a time, retrying a failed one as Lambda's asynchronous invoke does (twice, with a pause). The analyze step is the
// production one (postOccurrence); its claim on the occurrence id keeps Slack exactly-once through resends.
import type { OutboundEntry, PutOutcome, Sink } from '../forwarder/delivery.ts';
import { toOombotError } from '#shared/errors.ts';
import type { Logger } from '#shared/log.ts';

export interface BusOptions {
  /** What the analyze Lambda does with one event's detail. */
  analyze(detail: unknown, entry: OutboundEntry): Promise<void>;
  log: Logger;
  concurrency?: number;
  /** Retries after the first attempt (Lambda's async default is 2) and the pause before each. */
  retries?: number;
  retryDelayMs?: number;
}

export interface LocalBus extends Sink {
  /** Resolves when every accepted entry has been analysed (or given up on). */
  idle(): Promise<void>;
  /** Entries given up on after the retries, kept for the operator as a dead-letter queue would. */
  readonly deadLetters: { id: string; error: string }[];
  /** Stops taking entries and retrying; what is still queued is refused, so the forwarder keeps it for next time. */
  close(): void;
}

export function localBus(o: BusOptions): LocalBus {
  const queue: OutboundEntry[] = [];
  const deadLetters: LocalBus['deadLetters'] = [];
  const concurrency = o.concurrency ?? 4;
  let active = 0;
  let closed = false;
  let waiters: (() => void)[] = [];

  const settle = () => {
    if (active === 0 && queue.length === 0) {
      for (const w of waiters) w();
      waiters = [];
    }
  };
  const pump = () => {
    while (active < concurrency && queue.length) {
      const entry = queue.shift()!;
      active += 1;
      void handle(entry).finally(() => {
        active -= 1;
        pump();
        settle();
      });
    }
  };
  const handle = async (entry: OutboundEntry) => {
    const detail = JSON.parse(entry.detail) as unknown;
    const retries = o.retries ?? 2;
    for (let attempt = 0; ; attempt++) {
      try {
        await o.analyze(detail, entry);
        return;
      } catch (error) {
        if (attempt >= retries || closed) {
          deadLetters.push({ id: entry.id, error: toOombotError(error).message });
          o.log.error('analyze failed; occurrence kept as a dead letter', { id: entry.id, error });
          return;
        }
        o.log.warn('analyze failed; retrying', { id: entry.id, attempt: attempt + 1, error });
        await new Promise((resolve) => setTimeout(resolve, o.retryDelayMs ?? 2_000));
      }
    }
  };

  return {
    name: 'local-bus',
    deadLetters,
    async put(entries: OutboundEntry[]): Promise<PutOutcome> {
      if (closed) throw new Error('the local bus is closed');
      queue.push(...entries);
      pump();
      return { failed: [] };
    },
    close: () => {
      closed = true;
      queue.length = 0;
      settle();
    },
    idle: () => new Promise<void>((resolve) => {
      waiters.push(resolve);
      settle();
    }),
  };
}
