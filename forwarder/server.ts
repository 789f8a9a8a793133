// /healthz, /readyz and /metrics on one small HTTP server.
import http from 'node:http';
import type { Registry } from 'prom-client';

export interface Probes {
  /** undefined when healthy, else why not (the body of the 503). */
  unhealthy(): string | undefined;
  unready(): string | undefined;
}

export function startServer(port: number, registry: Registry, probes: Probes): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const answer = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'Content-Type': type });
      res.end(body);
    };
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz' || path === '/readyz') {
      const why = path === '/healthz' ? probes.unhealthy() : probes.unready();
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
