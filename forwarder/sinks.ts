// Where entries go: Amazon EventBridge (PutEvents), or standard output as one JSON line per entry (for debugging and
// piping). The EventBridge client uses the SDK's standard credential chain (IRSA / EKS Pod Identity in a cluster) and
// honours AWS_ENDPOINT_URL_EVENTBRIDGE / AWS_ENDPOINT_URL, as the SDK does.
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { OutboundEntry, PutOutcome, Sink } from './delivery.ts';

export function eventBridgeSink(busName: string, region: string | undefined): Sink {
  // The SDK retries whole requests itself (throttling, 5xx) with its standard strategy; per-entry failures on an
  // HTTP 200 are the queue's to resend.
  // Timeouts, so that a hung connection cannot hold a drain past the pod's grace period.
  const client = new EventBridgeClient({ ...(region ? { region } : {}), maxAttempts: 3, requestHandler: { connectionTimeout: 5_000, requestTimeout: 10_000 } });
  return {
    name: `eventbridge:${busName}`,
    async put(entries: OutboundEntry[]): Promise<PutOutcome> {
      const out = await client.send(
        new PutEventsCommand({
          Entries: entries.map((e) => ({ EventBusName: busName, Source: e.source, DetailType: e.detailType, Detail: e.detail, Time: e.time })),
        }),
      );
      const failed: PutOutcome['failed'] = [];
      (out.Entries ?? []).forEach((r, index) => {
        if (r.ErrorCode) failed.push({ index, code: r.ErrorCode, ...(r.ErrorMessage ? { message: r.ErrorMessage } : {}) });
      });
      // A response without per-entry results but a failure count: treat every entry as failed (resend is safe).
      if (!out.Entries?.length && (out.FailedEntryCount ?? 0) > 0) return { failed: entries.map((_, index) => ({ index, code: 'Unknown' })) };
      return { failed };
    },
  };
}

export function stdoutSink(write: (line: string) => void = (line) => process.stdout.write(line)): Sink {
  return {
    name: 'stdout',
    async put(entries: OutboundEntry[]): Promise<PutOutcome> {
      for (const e of entries) {
        write(`${JSON.stringify({ id: e.id, source: e.source, detailType: e.detailType, time: e.time.toISOString(), detail: JSON.parse(e.detail) })}\n`);
      }
      return { failed: [] };
    },
  };
}
