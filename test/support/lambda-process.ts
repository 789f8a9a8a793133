// One bundled Lambda function in a process of its own, as Lambda runs it: only the environment it is given (its
// serverless.yml environment, its role's credentials, the endpoints), a cold start on the first invocation, and a
// context with an awsRequestId per invocation. Its stdout (the functions' JSON log lines) is kept.
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { bundlePath } from './bundles.ts';

export interface LambdaProcess {
  name: string;
  /** Runs one invocation; rejects with the function's error as Lambda would report it. */
  invoke<T = unknown>(event: unknown, options?: { awsRequestId?: string }): Promise<T>;
  /** Its log lines (JSON parsed where they are JSON). */
  logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

export async function startLambdaProcess(bundle: 'analyze' | 'slack' | 'actions', o: { functionName: string; env: Record<string, string>; timeoutMs?: number }): Promise<LambdaProcess> {
  const child: ChildProcess = fork(path.join(import.meta.dirname, 'lambda-runtime.mjs'), [bundlePath(bundle)], {
    // Nothing of the test process's environment: what Lambda would set, and what the caller gives.
    env: {
      PATH: process.env['PATH'] ?? '',
      AWS_LAMBDA_FUNCTION_NAME: o.functionName,
      AWS_CONFIG_FILE: '/nonexistent/aws-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
      ...o.env,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const logs: Record<string, unknown>[] = [];
  const lines = (source: NodeJS.ReadableStream, stream: string) => {
    let buffer = '';
    source.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          logs.push({ stream, line });
        }
        if (process.env['OOMBOT_TEST_LOGS']) process.stderr.write(`[${bundle} ${child.pid}] ${line}\n`);
      }
    });
  };
  lines(child.stdout!, 'stdout');
  lines(child.stderr!, 'stderr');
  const pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  void exited.then(() => {
    for (const p of pending.values()) p.reject(new Error(`${bundle} exited during an invocation; last lines:\n${logs.slice(-5).map((l) => JSON.stringify(l)).join('\n')}`));
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`${bundle} exited (${code}) before it was ready: ${logs.map((l) => JSON.stringify(l)).join('\n')}`)));
  });
  child.on('message', (m: { id?: string; result?: unknown; error?: { errorType: string; errorMessage: string } }) => {
    const p = m.id ? pending.get(m.id) : undefined;
    if (!p) return;
    pending.delete(m.id!);
    if (m.error) p.reject(Object.assign(new Error(m.error.errorMessage), { name: m.error.errorType }));
    else p.resolve(m.result);
  });
  return {
    name: o.functionName,
    logs,
    invoke: <T>(event: unknown, options: { awsRequestId?: string } = {}) =>
      new Promise<T>((resolve, reject) => {
        const id = randomUUID();
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        const awsRequestId = options.awsRequestId ?? randomUUID();
        child.send({ id, event, context: { awsRequestId, functionName: o.functionName, functionVersion: '$LATEST', memoryLimitInMB: '512', timeoutMs: o.timeoutMs ?? 60_000 } });
      }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
