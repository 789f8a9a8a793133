// A full tmpfs, /dev/shm above all, is not a cgroup OOM (docs/domain.md §8): a write() to it fails with ENOSPC ("No
// space left on device"), and a write through a memory mapping of it raises SIGBUS (exit 128 + 7 = 135). Applications
// word it their own way: PostgreSQL "could not resize shared memory segment ... No space left on device", PyTorch's
// DataLoader "Unexpected bus error encountered in worker. This might be caused by insufficient shared memory (shm)".
import type { Terminated } from './k8s-objects.ts';
import { SHM_PATH } from './memory-volumes.ts';
import { clipText } from './clip-text.ts';

export const SIGBUS_EXIT = 135;

export interface BusError {
  /** `message`: the text names shared memory or a full memory-backed mount; `sigbus`: only the signal or "bus error". */
  how: 'message' | 'sigbus';
  /** The line that says so, when the message has one. */
  line?: string;
  /** The full mount, when the message names it (/dev/shm unless it names another memory-backed mount). */
  path: string;
}

const SHM_TEXTS = [/could not resize shared memory segment/i, /insufficient shared memory \(shm\)/i];
const BUS_TEXT = /\bbus error\b/i;

/**
 * Recognises a full /dev/shm or memory-backed mount in a termination. `memoryMounts` are the container's
 * memory-backed mount paths: "No space left on device" counts only when it names one of them or /dev/shm, since on
 * any other path it is a full disk.
 */
export function recogniseBusError(t: Terminated, memoryMounts: string[]): BusError | undefined {
  if (t.exitCode === 0) return undefined; // a clean exit is no death, whatever its termination message says
  const message = t.message ?? '';
  const paths = [...new Set([SHM_PATH, ...memoryMounts])];
  for (const pattern of SHM_TEXTS) {
    const m = pattern.exec(message);
    if (m) return { how: 'message', line: lineAt(message, m.index), path: SHM_PATH };
  }
  for (const line of message.split('\n')) {
    if (!/No space left on device|ENOSPC/.test(line)) continue;
    const path = paths.find((p) => line.includes(`${p}/`) || line.includes(`'${p}'`) || line.includes(`"${p}"`) || line.endsWith(p));
    if (path) return { how: 'message', line: clip(line.trim()), path };
  }
  const bus = BUS_TEXT.exec(message);
  if (bus) {
    const line = lineAt(message, bus.index);
    return { how: paths.some((p) => line.includes(p)) ? 'message' : 'sigbus', line, path: paths.find((p) => line.includes(p)) ?? SHM_PATH };
  }
  if (t.exitCode === SIGBUS_EXIT || t.signal === 7) return { how: 'sigbus', path: SHM_PATH };
  return undefined;
}

function lineAt(text: string, index: number): string {
  const start = text.lastIndexOf('\n', index) + 1;
  const end = text.indexOf('\n', index);
  return clip(text.slice(start, end === -1 ? undefined : end).trim());
}

function clip(line: string): string {
  return clipText(line, 200, '...');
}
