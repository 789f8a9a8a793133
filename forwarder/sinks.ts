// Where entries go: Amazon EventBridge (PutEvents), or standard output as one JSON line per entry (for debugging and
// piping). PutEvents is signed by hand over node:https (forwarder/put-events.ts) with the credentials a pod has: keys
// in the environment, IRSA or EKS Pod Identity; for any other (a profile, SSO, an instance role) the SDK's client and
// standard credential chain are loaded when the first request goes. Both honour AWS_ENDPOINT_URL_EVENTBRIDGE /
// AWS_ENDPOINT_URL, as the SDK does.
import type { OutboundEntry, PutOutcome, Sink } from './delivery.ts';
import { credentialSource, putEventsClient, type Env, type PutEventsAnswer, type PutEventsEntry } from './put-events.ts';

export function eventBridgeSink(busName: string, region: string | undefined, env: Env = process.env): Sink {
  const credentials = region ? credentialSource(env, region) : undefined;
  const put = credentials && region ? putEventsClient(env, region, credentials) : sdkPutEvents(region);
  return {
    name: `eventbridge:${busName}`,
    async put(entries: OutboundEntry[]): Promise<PutOutcome> {
      const out = await put(entries.map((e) => ({ EventBusName: busName, Source: e.source, DetailType: e.detailType, Detail: e.detail, Time: e.time })));
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

/** The SDK's client, loaded on the first request: only for credentials forwarder/put-events.ts does not fetch. */
function sdkPutEvents(region: string | undefined): (entries: PutEventsEntry[]) => Promise<PutEventsAnswer> {
  let client: Promise<(entries: PutEventsEntry[]) => Promise<PutEventsAnswer>> | undefined;
  return async (entries) => {
    client ??= import('@aws-sdk/client-eventbridge').then(({ EventBridgeClient, PutEventsCommand }) => {
      // The SDK retries whole requests itself (throttling, 5xx) with its standard strategy; per-entry failures on an
      // HTTP 200 are the queue's to resend. Timeouts, so that a hung connection cannot hold a drain past the pod's
      // grace period.
      const c = new EventBridgeClient({ ...(region ? { region } : {}), maxAttempts: 3, requestHandler: { connectionTimeout: 5_000, requestTimeout: 10_000 } });
      return (e: PutEventsEntry[]) => c.send(new PutEventsCommand({ Entries: e }));
    });
    return (await client)(entries);
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
