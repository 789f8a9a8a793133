// The local metrics server (sandbox/metrics-server.ts) for one test file: started after the file's control plane
// (test/integration/harness.ts useControlPlane), stopped before it, so metrics.k8s.io/v1beta1 is served through the
// kube-apiserver's aggregation layer for that file's tests only.
import { afterAll, beforeAll } from 'vitest';
import type { ControlPlane } from '../../sandbox/control-plane.ts';
import { startMetricsServer, type MetricsServer, type MetricsServerOptions } from '../../sandbox/metrics-server.ts';

export interface MetricsServerHandle {
  /** The running server. Throws if read before the file's beforeAll has run. */
  readonly metrics: MetricsServer;
}

/** Call after useControlPlane, at the same level: hooks after all run in reverse, so this one stops first. */
export function useMetricsServer(k8s: { readonly controlPlane: ControlPlane }, options: MetricsServerOptions = {}): MetricsServerHandle {
  let server: MetricsServer | undefined;
  beforeAll(async () => {
    server = await startMetricsServer(k8s.controlPlane, {
      log: (line) => process.stderr.write(`[metrics server] ${line}\n`),
      ...options,
    });
  });
  afterAll(async () => {
    await server?.stop();
  });
  return {
    get metrics() {
      if (!server) throw new Error('useMetricsServer(): the metrics server exists only inside tests and hooks');
      return server;
    },
  };
}
