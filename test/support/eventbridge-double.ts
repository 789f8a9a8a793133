// A loopback EventBridge PutEvents endpoint for tests: the real AWS SDK is pointed at it through
// AWS_ENDPOINT_URL_EVENTBRIDGE. It speaks the service's JSON 1.1 protocol, enforces PutEvents' limits (10 entries,
// 256 KB per request) and can fail entries one by one (HTTP 200 with FailedEntryCount) or throttle whole requests.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedEntry {
  Source: string;
  DetailType: string;
  Detail: string;
  EventBusName?: string;
  Time?: number | string;
}

export interface PutEventsDouble {
  url: string;
  /** Every entry accepted, in order (resends included). */
  accepted: ReceivedEntry[];
  /** When each accepted entry's request arrived (ms), by index in `accepted`. */
  receivedAt: number[];
  requests: number;
  rejectedEntries: number;
  throttled: number;
  /** Fail each entry with this probability (per-entry InternalFailure on an HTTP 200). */
  failureRate: number;
  /** Answer the next n requests with ThrottlingException (HTTP 400). */
  throttleNext: number;
  close(): Promise<void>;
}

const MAX_ENTRIES = 10;
const MAX_BYTES = 256 * 1024;

export async function startPutEventsDouble(random: () => number = seeded(42)): Promise<PutEventsDouble> {
  const double: Omit<PutEventsDouble, 'url' | 'close'> = { accepted: [], receivedAt: [], requests: 0, rejectedEntries: 0, throttled: 0, failureRate: 0, throttleNext: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    const arrived = Date.now();
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      double.requests += 1;
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': randomUUID() });
        res.end(JSON.stringify(body));
      };
      if (req.headers['x-amz-target'] !== 'AWSEvents.PutEvents') return reply(400, { __type: 'UnknownOperationException', message: `unsupported ${String(req.headers['x-amz-target'])}` });
      if (double.throttleNext > 0) {
        double.throttleNext -= 1;
        double.throttled += 1;
        return reply(400, { __type: 'ThrottlingException', message: 'Rate exceeded' });
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Entries?: ReceivedEntry[] };
      const entries = body.Entries ?? [];
      if (entries.length < 1 || entries.length > MAX_ENTRIES) {
        return reply(400, { __type: 'ValidationException', message: `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ENTRIES}` });
      }
      const size = entries.reduce((s, e) => s + 14 + Buffer.byteLength(e.Source ?? '') + Buffer.byteLength(e.DetailType ?? '') + Buffer.byteLength(e.Detail ?? ''), 0);
      if (size > MAX_BYTES) return reply(400, { __type: 'ValidationException', message: 'Total size of the entries in the request is over the limit.' });
      const results = entries.map((e) => {
        if (random() < double.failureRate) {
          double.rejectedEntries += 1;
          return { ErrorCode: 'InternalFailure', ErrorMessage: 'Internal service error.' };
        }
        double.accepted.push(e);
        double.receivedAt.push(arrived);
        return { EventId: randomUUID() };
      });
      reply(200, { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(double, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

/** A small deterministic generator (mulberry32), so failure injection is repeatable. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
