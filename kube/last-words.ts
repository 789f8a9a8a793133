// The tail of a dead run's log, read through the API server's pods/log, for the runtime's last words
// (shared/last-words.ts). `pods/log` is opt-in (infra/rbac/oombot-log-reader.yaml): logs can hold secrets, so the
// analyze identity does not have it by default, and its 403 is the expected answer, said once and short.
//
// A few KB at most, within the caller's time: `tailLines` picks the last lines first and `limitBytes` then cuts from
// their start, so an answer that fills `limitBytes` has lost its end — the dying words (the kubelet's ReadLogs seeks to
// the tail, then writes through a byte-limited writer: pkg/kubelet/kuberuntime/logs/logs.go). Such an answer is read
// again with fewer lines. `timestamps=true` dates each line, so the diagnosis can tell the run that died from a later one.
import { LAST_WORDS_MAX_CHARS, wantsLastWords, type LastWords } from '#shared/last-words.ts';
import type { Pod } from '#shared/k8s-objects.ts';
import { containerStatuses } from '#shared/terminations.ts';
import type { UnseenEntry } from '#shared/unseen.ts';
import { statusMessage, type KubeReader, type KubeResponse } from './rest.ts';

export const LOG_READ = {
  /** Lines asked for first, and again when those overflowed `limitBytes`. */
  tailLines: 100,
  fewerLines: 20,
  limitBytes: 8_192,
  /** For all the reads of one pod together: inside `/oom why`'s 2.5 s (bot/oom-command.ts) with room for the rest. */
  budgetMs: 2_000,
  /** Runs read at most: the latest deaths the diagnosis could pick. */
  runs: 2,
} as const;

type Why = Omit<UnseenEntry, 'source'>;

/**
 * The log tails of the pod's latest dead runs whose termination message did not say why they died (at most
 * `LOG_READ.runs`), or why each could not be read. Never throws: a log is extra.
 */
export async function readLastWords(api: KubeReader, pod: Pod, now: () => number = Date.now): Promise<LastWords[]> {
  const namespace = pod.metadata.namespace ?? 'default';
  const name = pod.metadata.name ?? '';
  const runs = containerStatuses(pod)
    .flatMap(({ status }) =>
      (
        [
          ['current', status.state?.terminated],
          ['previous', status.lastState?.terminated],
        ] as const
      )
        .filter(([, t]) => t && wantsLastWords(t))
        .map(([run, t]) => ({ container: status.name, run, finishedAt: Date.parse(t!.finishedAt ?? '') || 0 })),
    )
    .sort((a, b) => b.finishedAt - a.finishedAt)
    .slice(0, LOG_READ.runs);
  if (!runs.length) return [];
  const deadline = now() + LOG_READ.budgetMs;
  return Promise.all(
    runs.map(async ({ container, run }): Promise<LastWords> => {
      const base = `/api/v1/namespaces/${enc(namespace)}/pods/${enc(name)}/log?container=${enc(container)}${run === 'previous' ? '&previous=true' : ''}&timestamps=true&limitBytes=${LOG_READ.limitBytes}`;
      const first = await readText(api, `${base}&tailLines=${LOG_READ.tailLines}`, deadline - now());
      if ('why' in first) return { container, run, unread: first.why };
      if (Buffer.byteLength(first.text) < LOG_READ.limitBytes) return { container, run, tail: first.text };
      // Cut short: its last line is partial and the run's end is missing. The last few lines, then, after these.
      const complete = first.text.slice(0, first.text.lastIndexOf('\n') + 1);
      const left = deadline - now();
      const again = left > 250 ? await readText(api, `${base}&tailLines=${LOG_READ.fewerLines}`, left) : undefined;
      const tail = again && 'text' in again ? `${complete}${again.text}` : complete;
      return { container, run, tail: tail.slice(-LAST_WORDS_MAX_CHARS) };
    }),
  );
}

async function readText(api: KubeReader, path: string, timeoutMs: number): Promise<{ text: string } | { why: Why }> {
  if (timeoutMs <= 0) return { why: { reason: 'timed-out' } };
  let r: KubeResponse;
  let timer: NodeJS.Timeout | undefined;
  try {
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('timed out'), { name: 'TimeoutError' })), timeoutMs);
    });
    r = await Promise.race([api.get(path, { timeoutMs }), late]);
  } catch (error) {
    // Said without the transport's own words (hosts, addresses): they go to the operator's log, not to an alert.
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || /timed? ?out|aborted/i.test(error.message));
    return { why: { reason: timedOut ? 'timed-out' : 'unreachable' } };
  } finally {
    clearTimeout(timer);
  }
  // 204: the pod has no node (nothing ran); the body of a 200 is the log as text.
  if (r.status === 200 || r.status === 204) return { text: typeof r.body === 'string' ? r.body : r.body === undefined ? '' : JSON.stringify(r.body) };
  return { why: whyNot(r) };
}

/**
 * The API server's refusals of pods/log, as reasons. Its 5xx messages name the kubelet's address ("dial tcp
 * 10.0.3.7:10250: connect: connection refused"): they are reduced to a reason, never quoted.
 */
function whyNot(r: KubeResponse): Why {
  const message = statusMessage(r);
  // RBAC's own refusal: the opt-in is not granted for this namespace. Anything else that says 403 (an authorizer
  // webhook, the kubelet refusing the API server) is a real refusal, said as such.
  if (r.status === 403) return /cannot get resource "pods\/log"/.test(message) ? { reason: 'not-enabled' } : { reason: 'not-permitted', detail: message };
  // The pod is gone, or the kubelet keeps no such run: it keeps the run before the current one only, and answers
  // 400 "previous terminated container "c" in pod "p" not found" (pkg/kubelet/kubelet_pods.go validateContainerLogStatus).
  if (r.status === 404) return { reason: 'not-found' };
  if (r.status === 400 && /not found|is terminated|is not available|is waiting to start/.test(message)) return { reason: 'not-found' };
  if (r.status >= 500) {
    if (message.startsWith('no preferred addresses found')) return { reason: 'no-address' };
    if (/timeout|deadline exceeded/i.test(message)) return { reason: 'timed-out' };
    if (/dial|connect|refused|no route|unreachable|EOF/i.test(message)) return { reason: 'unreachable' };
  }
  return { reason: 'failed', detail: `HTTP ${r.status}` };
}

function enc(s: string): string {
  return encodeURIComponent(s);
}
