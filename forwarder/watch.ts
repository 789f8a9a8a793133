// List, then watch, a collection of the Kubernetes API, for as long as it is asked to: the raw protocol (client-go's
// reflector does the same) so that nothing but a few numbers per object is kept. It resumes from the last
// resourceVersion (bookmarks keep it fresh), relists after 410 Gone, and restarts a watch that has gone silent.
import type { KubeTransport } from '../kube/rest.ts';
import { sleep } from './sleep.ts';
import { KubeStatusError, statusMessage } from '../kube/rest.ts';
import type { Logger } from '#shared/log.ts';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchHandler {
  /**
   * Each object of a (re)list, page by page. `delivered`: the list is the one this watch resumed from (resumeFrom),
   * whose every object was handled, and its occurrences delivered, by an earlier leader.
   */
  listed(item: Record<string, unknown>, delivered: boolean): Promise<void> | void;
  /** The list is complete: objects not listed are gone. */
  synced(): Promise<void> | void;
  event(type: WatchEventType, item: Record<string, unknown>): Promise<void> | void;
}

export interface WatchOptions {
  /** Restart a watch that sent nothing (no event, no bookmark) for this long. */
  idleTimeoutMs: number;
  pageSize?: number;
  log?: Logger;
  onRestart?: (reason: 'idle' | 'error') => void;
  onGone?: () => void;
  random?: () => number;
}

class GoneError extends Error {}

export class ListWatch {
  /**
   * Up to when this watch has seen everything (ms): set by a completed list and by each line the server sends (an
   * event or a bookmark, which the watch cache sends about once a minute) — never by merely connecting, since a
   * stream that is accepted but silent proves nothing. The replay position is taken from it.
   */
  lastActivity = Date.now();
  consecutiveFailures = 0;
  synced = false;
  /**
   * The resourceVersion of the last list or line this watch has handled in full — while the handler runs for a line,
   * still the one before it. Undefined until the first list completes, unless it resumes from a saved one.
   */
  resourceVersion: string | undefined;
  /**
   * A resourceVersion saved by an earlier leader, up to which everything was delivered: the first list reads the
   * collection as it was then (resourceVersionMatch=Exact) and the watch goes on from there, so only what changed
   * since is judged anew. When the server no longer has it (410: compacted), the list is of now, as without it.
   */
  private resumeFrom: string | undefined;

  constructor(
    private readonly api: KubeTransport,
    readonly path: string,
    private readonly query: Record<string, string>,
    private readonly handler: WatchHandler,
    private readonly options: WatchOptions,
  ) {}

  /** Before run: resume from a saved version (see resumeFrom). */
  resume(version: string | undefined): void {
    this.resumeFrom = this.resourceVersion = version;
  }

  /** What names this watch in a saved position: its path and query, so that a watch of other objects never takes it. */
  get key(): string {
    const query = new URLSearchParams(this.query).toString();
    return query ? `${this.path}?${query}` : this.path;
  }

  async run(signal: AbortSignal): Promise<void> {
    let rv: string | undefined;
    while (!signal.aborted) {
      try {
        if (rv === undefined && this.resumeFrom !== undefined) {
          const from = this.resumeFrom;
          this.resumeFrom = undefined;
          try {
            rv = await this.list(signal, from);
          } catch (error) {
            if (!(error instanceof GoneError)) throw error;
            this.options.log?.info('the saved position is no longer on the server (410 Gone); listing from now', { path: this.path, resourceVersion: from });
            this.resourceVersion = undefined;
          }
        }
        rv ??= await this.list(signal);
        if (signal.aborted) return;
        const before = this.lastActivity;
        rv = await this.watch(rv, signal);
        // Only a watch that heard from the server counts as a recovery (an idle restart does not).
        if (this.lastActivity !== before) this.consecutiveFailures = 0;
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof GoneError) {
          // The server compacted past our resourceVersion: relist; the tracker and the ids absorb what repeats.
          this.options.onGone?.();
          this.options.log?.info('watch expired (410 Gone); relisting', { path: this.path });
          rv = undefined;
          continue;
        }
        // A resumed list that failed otherwise (the server away) resumes again on the next attempt.
        if (rv === undefined && this.resourceVersion !== undefined && !this.synced) this.resumeFrom ??= this.resourceVersion;
        this.consecutiveFailures += 1;
        this.options.onRestart?.('error');
        const delay = Math.min(30_000, 500 * 2 ** Math.min(this.consecutiveFailures, 6)) * (0.5 + (this.options.random ?? Math.random)() / 2);
        this.options.log?.warn('watch failed; retrying', { path: this.path, error, retryInMs: Math.round(delay) });
        await sleep(delay, signal);
      }
    }
  }

  private url(extra: Record<string, string>): string {
    return `${this.path}?${new URLSearchParams({ ...this.query, ...extra }).toString()}`;
  }

  /** Lists the collection as it is now, or as it was at `exact` (its objects then count as delivered). */
  private async list(signal: AbortSignal, exact?: string): Promise<string> {
    let cont: string | undefined;
    let rv = '';
    do {
      // Pages of 50: a page is held three times over while it is parsed (chunks, text, objects), and V8 keeps the
      // heap it grew; with 500 the forwarder's RSS after listing 10,000 pods was 73 MiB, with 100 64 MiB, with 50 its
      // peak is 60 MiB and it idles at 51.5 MiB, 1.5 MiB less than with 100 (npm run bench:forwarder).
      // An exact version is asked on the first page only: a continue token carries it, and the server refuses both.
      const at: Record<string, string> = exact !== undefined && !cont ? { resourceVersion: exact, resourceVersionMatch: 'Exact' } : {};
      const res = await this.api.get(this.url({ limit: String(this.options.pageSize ?? 50), ...at, ...(cont ? { continue: cont } : {}) }), { timeoutMs: 60_000 });
      if (signal.aborted) return rv;
      // The continue token expired mid-list (etcd compacted past it): list again from the start.
      if (res.status === 410) throw new GoneError();
      if (res.status !== 200) throw new KubeStatusError(res.status, `list ${this.path}: ${statusMessage(res)} (HTTP ${res.status})`);
      const body = res.body as { metadata?: { resourceVersion?: string; continue?: string }; items?: Record<string, unknown>[] };
      for (const item of body.items ?? []) {
        if (signal.aborted) return rv;
        await this.handler.listed(item, exact !== undefined);
      }
      rv = body.metadata?.resourceVersion ?? rv;
      cont = body.metadata?.continue || undefined;
    } while (cont);
    this.lastActivity = Date.now();
    await this.handler.synced();
    this.synced = true;
    this.resourceVersion = rv;
    return rv;
  }

  private async watch(from: string, signal: AbortSignal): Promise<string> {
    let rv = from;
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    if (signal.aborted) return rv;
    signal.addEventListener('abort', onAbort, { once: true });
    const startedAt = Date.now();
    let idle = false;
    let gone = false;
    const timer = setInterval(() => {
      if (Date.now() - Math.max(this.lastActivity, startedAt) > this.options.idleTimeoutMs) {
        idle = true;
        stop.abort();
      }
    }, Math.max(50, Math.min(5_000, this.options.idleTimeoutMs / 4)));
    // The server ends a watch after timeoutSeconds; a random 5–10 min spreads reconnects, as client-go does.
    const timeoutSeconds = String(300 + Math.floor((this.options.random ?? Math.random)() * 300));
    try {
      const res = await this.api.stream(this.url({ watch: '1', allowWatchBookmarks: 'true', resourceVersion: rv, timeoutSeconds }), {
        signal: stop.signal,
        onLine: async (line) => {
          this.lastActivity = Date.now();
          const event = JSON.parse(line) as { type: string; object: Record<string, unknown> & { metadata?: { resourceVersion?: string }; code?: number } };
          if (event.type === 'ERROR') {
            if (event.object.code === 410) {
              gone = true;
              stop.abort();
              return;
            }
            throw new KubeStatusError(event.object.code ?? 0, `watch ${this.path}: ${String((event.object as { message?: string }).message ?? 'error event')}`);
          }
          const next = event.object.metadata?.resourceVersion;
          if (event.type !== 'BOOKMARK') await this.handler.event(event.type as WatchEventType, event.object);
          if (next) rv = this.resourceVersion = next;
        },
      });
      if (res.status === 410) gone = true;
      else if (res.status !== 200) throw new KubeStatusError(res.status, `watch ${this.path}: ${statusMessage(res)} (HTTP ${res.status})`);
    } finally {
      clearInterval(timer);
      signal.removeEventListener('abort', onAbort);
    }
    if (gone) throw new GoneError();
    if (idle && !signal.aborted) {
      this.options.onRestart?.('idle');
      this.options.log?.warn('watch silent for too long; restarting it', { path: this.path, idleMs: this.options.idleTimeoutMs });
    }
    return rv;
  }
}
