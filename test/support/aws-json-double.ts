// A loopback endpoint for AWS services that speak the JSON protocols (SSM, SQS, Secrets Manager): the real AWS SDK is
// pointed at it with AWS_ENDPOINT_URL_<SERVICE>. Each operation (the X-Amz-Target header) gets a handler; calls are
// recorded. Unknown operations answer as AWS does, with an UnknownOperationException.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Operation = (input: Record<string, unknown>) => unknown;

export interface AwsJsonDouble {
  url: string;
  calls: { target: string; input: Record<string, unknown> }[];
  close(): Promise<void>;
}

export async function startAwsJsonDouble(operations: Record<string, Operation>): Promise<AwsJsonDouble> {
  const calls: AwsJsonDouble['calls'] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      calls.push({ target, input });
      const op = operations[target];
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(body));
      };
      if (!op) return reply(400, { __type: 'UnknownOperationException', message: `no operation ${target}` });
      try {
        reply(200, op(input));
      } catch (error) {
        reply(400, { __type: (error as Error).name, message: (error as Error).message });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
