// Finding the memory-related terminations in a pod (docs/domain.md §1): regular, init and ephemeral containers, in
// `state` (still down) and `lastState` (restarted since). There is no pod-level OOM reason; the runtime sets the
// container's.
import { recogniseBusError, type BusError } from './bus-error.ts';
import type { ContainerStatus, Pod, Terminated } from './k8s-objects.ts';
import { readLastWords, type LastWords } from './last-words.ts';
import { memoryVolumes } from './memory-volumes.ts';
import { recogniseRuntimeOom, type RuntimeOom } from './runtime-oom.ts';
import type * as z from 'zod';
import type { UnseenEntry } from './unseen.ts';
import type { ContainerTypeSchema } from './verdict.ts';

export type ContainerType = z.infer<typeof ContainerTypeSchema>;

export interface Termination {
  container: string;
  containerType: ContainerType;
  /** `current`: state.terminated (the container is down now); `last`: lastState.terminated (it restarted since). */
  state: 'current' | 'last';
  terminated: Terminated;
  restartCount: number;
  runtimeOom: RuntimeOom | undefined;
  /** A full /dev/shm or memory-backed mount (SIGBUS or ENOSPC): memory trouble, but not a cgroup OOM. */
  busError?: BusError | undefined;
  /** Why the log of this run, which could have told what the message did not, was not read (shared/last-words.ts). */
  lastWordsUnseen?: Omit<UnseenEntry, 'source'>;
}

export const SIGKILL_EXIT = 137; // 128 + SIGKILL(9): any kill -9, not only the OOM killer's

export function containerStatuses(pod: Pod): { status: ContainerStatus; type: ContainerType }[] {
  const s = pod.status;
  return [
    ...(s.containerStatuses ?? []).map((status) => ({ status, type: 'container' as const })),
    ...(s.initContainerStatuses ?? []).map((status) => ({ status, type: 'init' as const })),
    ...(s.ephemeralContainerStatuses ?? []).map((status) => ({ status, type: 'ephemeral' as const })),
  ];
}

/**
 * Every termination that memory could explain: `OOMKilled`, any exit 137, a runtime's OOM text, or a full /dev/shm
 * (exit 135 SIGBUS, or the texts bus-error.ts knows). The forwarder forwards exactly these. With `logs` (the dead
 * runs' log tails, where the caller could read them) a runtime's OOM text counts from the log too, when the message
 * did not say it (shared/last-words.ts).
 */
export function memoryTerminations(pod: Pod, logs?: readonly LastWords[]): Termination[] {
  const found: Termination[] = [];
  for (const { status, type } of containerStatuses(pod)) {
    for (const [state, terminated] of [
      ['current', status.state?.terminated],
      ['last', status.lastState?.terminated],
    ] as const) {
      if (!terminated) continue;
      const fromLog = logs && readLastWords(logs, status.name, state, terminated);
      const runtimeOom = recogniseRuntimeOom(terminated.message) ?? (fromLog && 'oom' in fromLog ? fromLog.oom : undefined);
      const busError = recogniseBusError(terminated, memoryVolumes(pod, status.name).map((v) => v.mountPath));
      if (terminated.reason === 'OOMKilled' || terminated.exitCode === SIGKILL_EXIT || runtimeOom || busError) {
        const unseen = fromLog && 'unseen' in fromLog ? { lastWordsUnseen: fromLog.unseen } : {};
        found.push({ container: status.name, containerType: type, state, terminated, restartCount: status.restartCount ?? 0, runtimeOom, ...(busError ? { busError } : {}), ...unseen });
      }
    }
  }
  return found;
}

/** The most recent one (by finishedAt; a current state wins a tie over the last one). */
export function latestTermination(terminations: Termination[]): Termination | undefined {
  return [...terminations].sort((a, b) => {
    const byTime = timeOf(b) - timeOf(a);
    return byTime !== 0 ? byTime : a.state === 'current' ? -1 : 1;
  })[0];
}

function timeOf(t: Termination): number {
  const ms = Date.parse(t.terminated.finishedAt ?? '');
  return Number.isNaN(ms) ? -Infinity : ms;
}

/** "137 (SIGKILL)" — exit codes ≥ 128 mean killed by signal (code − 128). */
export function signalName(exitCode: number): string | undefined {
  const names: Record<number, string> = { 2: 'SIGINT', 6: 'SIGABRT', 7: 'SIGBUS', 9: 'SIGKILL', 11: 'SIGSEGV', 15: 'SIGTERM', 5: 'SIGTRAP' };
  // Signals are 1–64 (SIGRTMAX): 255 is exit(-1), e.g. PHP's CLI after a fatal error, not a signal.
  return exitCode > 128 && exitCode <= 128 + 64 ? (names[exitCode - 128] ?? `signal ${exitCode - 128}`) : undefined;
}
