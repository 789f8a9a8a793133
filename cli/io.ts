import { OombotError, toOombotError } from '#shared/errors.ts';

/** Where a command writes: the process's streams in the bin, buffers in tests. */
export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * Writes a command's output and waits until the stream took it. A failed write — stdout on a full disk, a read-only
 * file, a closed pipe — is thrown as the `io` error it is (exit 5, cli/errors.ts), not left to crash the process as an
 * unhandled 'error' event with a stack trace.
 */
export function writeOutput(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // The stream emits 'error' after the write's callback: the listener stays until then, or the process would crash.
    const onError = () => {};
    stream.on('error', onError);
    stream.write(text, (error) => {
      if (!error) {
        stream.off('error', onError);
        return resolve();
      }
      const e = toOombotError(error);
      reject(new OombotError(e.code, `cannot write the output: ${e.message}`, { cause: error }));
    });
  });
}
