// /healthz, /readyz and /metrics on one small HTTP server. `/readyz?verbose` lists each check as the kube-apiserver's
// does (`[+]name ok`, `[-]name …`), with those that do not decide readiness, such as memory sampling, after it.
import http from 'node:http';
import type { Registry } from './prometheus.ts';

/** Something worth seeing in /readyz?verbose that does not make the process unready. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface Probes {
  /** undefined when healthy, else why not (the body of the 503). */
  unhealthy(): string | undefined;
  unready(): string | undefined;
  checks?(): Check[];
}

export function startServer(port: number, registry: Registry, probes: Probes): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const answer = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'Content-Type': type });
      res.end(body);
    };
    const [path, query = ''] = (req.url ?? '/').split('?');
    if (path === '/healthz' || path === '/readyz') {
      const why = path === '/healthz' ? probes.unhealthy() : probes.unready();
      if (path === '/readyz' && new URLSearchParams(query).has('verbose')) {
        const lines = [why ? `[-]forwarding: ${why}` : '[+]forwarding ok', ...(probes.checks?.() ?? []).map((c) => `[${c.ok ? '+' : '-'}]${c.name}${c.ok ? ' ok' : ''}: ${c.detail}${c.ok ? '' : ' (does not affect readiness)'}`)];
        return answer(why ? 503 : 200, `${lines.join('\n')}\nreadyz check ${why ? 'failed' : 'passed'}\n`);
      }
      return answer(why ? 503 : 200, why ? `${why}\n` : 'ok\n');
    }
    if (path === '/metrics') {
      registry.metrics().then((text) => answer(200, text, registry.contentType), (error: Error) => answer(500, error.message));
      return;
    }
    answer(404, 'not found: try /healthz, /readyz or /metrics\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve(server));
  });
}
