// Leadership through a coordination.k8s.io Lease (the protocol client-go's leaderelection uses): one replica holds it
// and renews it; the others take it over when it has not been renewed for its duration. The holder also keeps its
// replay position on the Lease, so whoever leads next — a new leader or the same process restarted — resumes there.
import type { KubeTransport } from '../kube/rest.ts';
import { sleep } from './sleep.ts';
import { KubeStatusError, statusMessage } from '../kube/rest.ts';
import type { Logger } from '#shared/log.ts';

export const POSITION_ANNOTATION = 'oombot.io/delivered-through';
/**
 * Each watch's resourceVersion up to which everything was delivered, as JSON by watch key (forwarder/tracker.ts,
 * DeliveryPosition): a new leader resumes each watch there and resends only what changed since.
 */
export const VERSIONS_ANNOTATION = 'oombot.io/delivered-versions';

/** How soon a position that deliveries moved is saved: at most two Lease writes a second, and only while delivering. */
export const SAVE_SOON_MS = 500;

interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string; annotations?: Record<string, string> };
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

export interface LeaseOptions {
  namespace: string;
  name: string;
  identity: string;
  durationSeconds?: number;
  renewEveryMs?: number;
  retryEveryMs?: number;
  renewDeadlineMs?: number;
  /** More annotations to save with the position at each renewal and on release. */
  annotations?: () => Record<string, string>;
  /**
   * Whether deliveries moved the position since it was last asked: then it is saved within SAVE_SOON_MS, not at the
   * next renewal, since a new leader resends what was delivered after the saved position.
   */
  moved?: () => boolean;
  log?: Logger;
}

/** Why this process cannot talk to its Lease right now, for /readyz: since when (by its clock) and the last error. */
export interface LeaseTrouble {
  sinceMs: number;
  error: string;
  /** While leading: when it steps down unless a renewal goes through first. */
  stepsDownAtMs?: number;
}

/** How a term as leader ended: asked to stop, the Lease taken by another replica, or not renewed in time. */
export type LeadingOutcome = 'stopped' | 'taken' | 'unrenewed';

/**
 * How often the holder renews and a standby retries, from the Lease's duration: a third and an eighth, as client-go's
 * defaults (15 s, 10 s, 2 s) roughly are. A standby takes over between one duration and one duration plus two retry
 * periods after the last renewal (it notices the renewal, then the expiry, each up to a retry period late). The holder
 * steps down when it has not renewed for two thirds of the duration (client-go's renew deadline, 10 s of 15 s): timed
 * from when it sent the last renewal that went through, which a standby saw later still, so it has stopped before any
 * standby may take over, with a third of the duration to spare for clocks that run at different rates.
 */
export function electionPeriods(durationSeconds: number): { renewEveryMs: number; retryEveryMs: number; renewDeadlineMs: number } {
  const ms = durationSeconds * 1000;
  return { renewEveryMs: ms / 3, retryEveryMs: ms / 8, renewDeadlineMs: (ms * 2) / 3 };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A Lease's MicroTime: RFC 3339 with exactly six fractional digits. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaderElector {
  private lease: Lease | undefined;
  /** When this process last saw the Lease's holder or renewTime change, by its own clock (see tryAcquire). */
  private observed: { key: string; atMs: number } | undefined;
  private readonly durationS: number;
  private readonly renewEveryMs: number;
  private readonly retryEveryMs: number;
  private readonly renewDeadlineMs: number;
  /** When the write that took or last renewed the Lease was sent, by this process's clock. */
  private renewedAtMs = 0;
  /** Set while reaching the Lease fails; cleared by the next request that goes through. */
  trouble: LeaseTrouble | undefined;
  /** When an attempt to take or renew the Lease last ended, gone through or not (for /healthz: the loop is alive). */
  lastAttemptMs = Date.now();

  constructor(
    private readonly api: KubeTransport,
    private readonly o: LeaseOptions,
  ) {
    this.durationS = o.durationSeconds ?? 15;
    this.renewEveryMs = o.renewEveryMs ?? 5_000;
    this.retryEveryMs = o.retryEveryMs ?? 2_000;
    this.renewDeadlineMs = o.renewDeadlineMs ?? (this.durationS * 1000 * 2) / 3;
  }

  private get path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.o.namespace}/leases`;
  }

  /** Waits until this process holds the Lease; returns the position the previous holder saved, if any. */
  async acquire(signal: AbortSignal, onStandby: () => void = () => {}): Promise<number | undefined> {
    let announced = false;
    while (!signal.aborted) {
      let taken: boolean;
      try {
        taken = await this.tryAcquire();
        this.trouble = undefined;
      } catch (error) {
        // The API server may be down or restarting: keep trying for as long as it takes, as client-go does; /readyz
        // says why meanwhile. Warned once per outage, not at every retry.
        if (!this.trouble) this.o.log?.warn('cannot reach the Lease; retrying until it answers', { error, retryEveryMs: this.retryEveryMs });
        this.trouble = { sinceMs: this.trouble?.sinceMs ?? Date.now(), error: describe(error) };
        await sleep(this.retryEveryMs, signal);
        continue;
      } finally {
        this.lastAttemptMs = Date.now();
      }
      if (taken) {
        const saved = Date.parse(this.lease?.metadata.annotations?.[POSITION_ANNOTATION] ?? '');
        this.o.log?.info('became the leader', { lease: `${this.o.namespace}/${this.o.name}`, savedPosition: Number.isNaN(saved) ? null : new Date(saved).toISOString() });
        return Number.isNaN(saved) ? undefined : saved;
      }
      if (!announced) {
        this.o.log?.info('another replica leads; standing by', { holder: this.lease?.spec.holderIdentity });
        announced = true;
        onStandby();
      }
      await sleep(this.retryEveryMs, signal);
    }
    return undefined;
  }

  private async tryAcquire(): Promise<boolean> {
    const res = await this.api.get(`${this.path}/${this.o.name}`);
    const now = Date.now();
    if (res.status === 404) {
      const created = await this.api.request('POST', this.path, {
        body: {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.o.name, namespace: this.o.namespace },
          spec: { holderIdentity: this.o.identity, leaseDurationSeconds: this.durationS, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
        },
      });
      if (created.status === 201) {
        this.lease = created.body as Lease;
        this.renewedAtMs = now;
        return true;
      }
      if (created.status === 409) return false; // another replica created it first
      throw new KubeStatusError(created.status, `creating Lease ${this.o.namespace}/${this.o.name}: ${statusMessage(created)}`);
    }
    if (res.status !== 200) throw new KubeStatusError(res.status, `reading Lease ${this.o.namespace}/${this.o.name}: ${statusMessage(res)}`);
    const lease = res.body as Lease;
    this.lease = lease;
    const holder = lease.spec.holderIdentity;
    // Expiry is timed by this process's clock from when it saw the record change, as client-go does: comparing the
    // holder's renewTime with our clock would let clock skew between nodes hand over a healthy Lease or delay it.
    const key = `${holder ?? ''}|${lease.spec.renewTime ?? ''}`;
    if (this.observed?.key !== key) this.observed = { key, atMs: now };
    const expired = !holder || now - this.observed.atMs > (lease.spec.leaseDurationSeconds ?? this.durationS) * 1000;
    if (holder !== this.o.identity && !expired) return false;
    const taken = await this.write({
      ...lease,
      spec: {
        holderIdentity: this.o.identity,
        leaseDurationSeconds: this.durationS,
        acquireTime: holder === this.o.identity ? (lease.spec.acquireTime ?? microTime(now)) : microTime(now),
        renewTime: microTime(now),
        leaseTransitions: (lease.spec.leaseTransitions ?? 0) + (holder === this.o.identity ? 0 : 1),
      },
    });
    if (taken) this.renewedAtMs = now;
    return taken;
  }

  /** Writes with the resourceVersion read: a 409 means another replica wrote first, and it leads. */
  private async write(lease: Lease, timeoutMs?: number): Promise<boolean> {
    const res = await this.api.request('PUT', `${this.path}/${this.o.name}`, { body: lease, ...(timeoutMs ? { timeoutMs } : {}) });
    if (res.status === 200) {
      this.lease = res.body as Lease;
      return true;
    }
    if (res.status === 409) return false;
    throw new KubeStatusError(res.status, `writing Lease ${this.o.namespace}/${this.o.name}: ${statusMessage(res)}`);
  }

  /**
   * Renews until the signal aborts, saving the position each time. A renewal that fails — the API server away or
   * restarting — is retried every retry period, and the work goes on meanwhile: the Lease is still this process's
   * until its renew deadline (electionPeriods). Resolves 'taken' when another replica holds the Lease, 'unrenewed' at
   * the renew deadline with no renewal through: another replica may lead soon, so this one must stop leading (not
   * exit: it stands by and takes the Lease again when it can).
   */
  async keepLeading(signal: AbortSignal, position: () => number): Promise<LeadingOutcome> {
    let wait = this.renewEveryMs;
    while (!signal.aborted) {
      await this.nap(Math.max(0, Math.min(wait, this.renewedAtMs + this.renewDeadlineMs - Date.now())), signal);
      if (signal.aborted) break;
      const sentAt = Date.now();
      // No request may outlast the deadline: an API server that does not answer must not keep this one leading.
      const leftMs = this.renewedAtMs + this.renewDeadlineMs - sentAt;
      if (leftMs <= 0) {
        this.o.log?.error('the Lease was not renewed within its renew deadline: stepping down before another replica may take it', { lastRenewed: new Date(this.renewedAtMs).toISOString(), renewDeadlineMs: this.renewDeadlineMs, error: this.trouble?.error });
        return 'unrenewed';
      }
      try {
        if (!(await this.renew(position(), leftMs))) {
          this.o.log?.error('another replica holds the Lease: stepping down', { holder: this.lease?.spec.holderIdentity });
          return 'taken';
        }
        this.renewedAtMs = sentAt;
        if (this.trouble) this.o.log?.info('renewed the Lease again', { failingForMs: sentAt - this.trouble.sinceMs });
        this.trouble = undefined;
        wait = this.renewEveryMs;
      } catch (error) {
        const stepsDownAtMs = this.renewedAtMs + this.renewDeadlineMs;
        if (!this.trouble) this.o.log?.warn('renewing the Lease failed; still leading, retrying until the renew deadline', { error, stepsDownAt: new Date(stepsDownAtMs).toISOString() });
        this.trouble = { sinceMs: this.trouble?.sinceMs ?? sentAt, error: describe(error), stepsDownAtMs };
        wait = this.retryEveryMs;
      } finally {
        this.lastAttemptMs = Date.now();
      }
    }
    return 'stopped';
  }

  private async renew(positionMs: number, timeoutMs: number): Promise<boolean> {
    const lease = this.lease;
    if (!lease || lease.spec.holderIdentity !== this.o.identity) return false;
    const ok = await this.write({
      ...lease,
      metadata: { ...lease.metadata, annotations: { ...lease.metadata.annotations, [POSITION_ANNOTATION]: new Date(positionMs).toISOString(), ...this.o.annotations?.() } },
      spec: { ...lease.spec, renewTime: microTime(Date.now()) },
    }, timeoutMs);
    if (!ok) {
      // Someone else wrote the Lease: re-read to learn whether it is still ours (a renewal racing our own write). If
      // it cannot be read, this renewal failed: keepLeading retries it until the renew deadline.
      const res = await this.api.get(`${this.path}/${this.o.name}`, { timeoutMs });
      if (res.status !== 200) throw new KubeStatusError(res.status, `re-reading Lease ${this.o.namespace}/${this.o.name}: ${statusMessage(res)}`);
      this.lease = res.body as Lease;
      // Still ours (our own earlier write raced this one): not renewed yet, so retried soon, as a failure is.
      if (this.lease?.spec.holderIdentity === this.o.identity) throw new Error('the Lease changed while renewing it; renewing again');
      return false;
    }
    return true;
  }

  /** On a clean stop: save the final position and let the Lease go, so a standby takes over at once. */
  async release(positionMs: number): Promise<void> {
    const lease = this.lease;
    if (!lease || lease.spec.holderIdentity !== this.o.identity) return;
    await this.write({
      ...lease,
      metadata: { ...lease.metadata, annotations: { ...lease.metadata.annotations, [POSITION_ANNOTATION]: new Date(positionMs).toISOString(), ...this.o.annotations?.() } },
      spec: { ...lease.spec, holderIdentity: '', renewTime: microTime(Date.now()) },
    }).catch((error: unknown) => this.o.log?.warn('releasing the Lease failed; a standby takes over when it expires', { error }));
  }

  /** Sleeps until the next renewal is due, or, every SAVE_SOON_MS, until deliveries have moved the position. */
  private async nap(ms: number, signal: AbortSignal): Promise<void> {
    const { moved } = this.o;
    if (!moved) return sleep(ms, signal);
    const until = Date.now() + ms;
    while (!signal.aborted && Date.now() < until) {
      await sleep(Math.min(SAVE_SOON_MS, until - Date.now()), signal);
      if (moved()) return;
    }
  }

  /** The per-watch versions the Lease holds (VERSIONS_ANNOTATION), as read when it was taken; none if unreadable. */
  savedVersions(): Record<string, string> {
    try {
      const parsed: unknown = JSON.parse(this.lease?.metadata.annotations?.[VERSIONS_ANNOTATION] ?? '{}');
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
      return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'));
    } catch {
      return {};
    }
  }
}
