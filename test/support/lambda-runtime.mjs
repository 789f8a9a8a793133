// A Lambda runtime for one bundle in its own process (test/support/lambda-process.ts forks it): it imports the
// bundle's handler once, as a cold start does, then runs each invocation the parent sends over IPC with a Lambda-like
// context, and answers with the result or the error (as Lambda reports errorType and errorMessage).
import { pathToFileURL } from 'node:url';

const { handler } = await import(pathToFileURL(process.argv[2]).href);

process.on('message', async ({ id, event, context }) => {
  const deadline = Date.now() + context.timeoutMs;
  const ctx = { ...context, getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
  try {
    const result = await handler(event, ctx);
    process.send({ id, result: result === undefined ? null : result });
  } catch (error) {
    process.send({ id, error: { errorType: error?.name ?? 'Error', errorMessage: error?.message ?? String(error) } });
  }
});
process.send({ ready: true });
