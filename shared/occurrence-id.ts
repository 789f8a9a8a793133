// Stable occurrence ids (docs/architecture.md, "Reliability rules"): derived from what happened, so every resend —
// after a restart, a relist or a leader change — carries the id of the first send and the analyzer posts it once.
import { createHash } from 'node:crypto';

function id(prefix: string, parts: (string | number)[]): string {
  // 20 bytes of SHA-256 in base32: short enough for a Slack button value, collision-free in practice.
  const digest = createHash('sha256').update(parts.join('\u0000')).digest();
  return `${prefix}-${base32(digest.subarray(0, 20))}`;
}

function base32(bytes: Uint8Array): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

/**
 * A container termination. `terminationIndex` is the container's restartCount when it ended: the same termination
 * sits in `state.terminated` with restartCount N, then in `lastState.terminated` with N+1 after the restart.
 */
export function terminationId(cluster: string, podUid: string, container: string, terminationIndex: number, finishedAt: string): string {
  return id('term', [cluster, podUid, container, terminationIndex, finishedAt]);
}

/** A pod is evicted once: the pod status and the Evicted event about it give the same id. */
export function evictionId(cluster: string, podUid: string): string {
  return id('evict', [cluster, podUid]);
}

/** A node event (SystemOOM, OOMKilling): each increment of its count is a new occurrence. */
export function nodeEventId(cluster: string, eventUid: string, count: number): string {
  return id('node', [cluster, eventUid, count]);
}

/**
 * A warning before the kill (forwarder/memory-warning.ts): one per climb of one run of the container toward one limit,
 * the climb named by the bucket of when its fitted line crossed the near level — what a new leader sees of a climb
 * too — so a resend, or the same climb warned again by a leader that took over, carries the same id, and the next
 * climb a new one.
 */
export function memoryWarningId(cluster: string, podUid: string, container: string, restarts: number, limitBytes: number, climb: number): string {
  return id('warn', [cluster, podUid, container, restarts, limitBytes, climb]);
}
