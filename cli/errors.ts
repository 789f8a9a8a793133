// Errors that reach the person at the terminal: one line each, a stable code, and the exit code the contract in
// docs/architecture.md promises (2 usage, 3 not found, 4 cluster unreachable or unauthenticated).

export type CliErrorCode =
  | 'USAGE'
  | 'FILE_UNREADABLE'
  | 'FILE_NOT_JSON'
  | 'FILE_NOT_KUBERNETES'
  | 'POD_NOT_FOUND'
  | 'CONTAINER_NOT_FOUND'
  | 'NO_MEMORY_TERMINATION'
  | 'CLUSTER_UNREACHABLE'
  | 'CLUSTER_UNAUTHORIZED'
  | 'NO_KUBECONFIG';

const EXIT_CODES: Record<CliErrorCode, number> = {
  USAGE: 2,
  FILE_UNREADABLE: 2,
  FILE_NOT_JSON: 2,
  FILE_NOT_KUBERNETES: 2,
  POD_NOT_FOUND: 3,
  CONTAINER_NOT_FOUND: 3,
  NO_MEMORY_TERMINATION: 3,
  CLUSTER_UNREACHABLE: 4,
  CLUSTER_UNAUTHORIZED: 4,
  NO_KUBECONFIG: 4,
};

export class CliError extends Error {
  override name = 'CliError';
  readonly exitCode: number;
  constructor(
    readonly code: CliErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.exitCode = EXIT_CODES[code];
  }
}

/** One line on stderr and the exit code: a CliError's own, 1 for anything else (a bug), stack only with OOMBOT_DEBUG. */
export function reportError(error: unknown, io: { stderr: NodeJS.WritableStream }): number {
  if (error instanceof CliError) {
    io.stderr.write(`oombot: ${error.message}\n`);
    return error.exitCode;
  }
  io.stderr.write(`oombot: unexpected error: ${(error as Error).message ?? String(error)} (this is a bug; rerun with OOMBOT_DEBUG=1 for details)\n`);
  if (process.env['OOMBOT_DEBUG']) io.stderr.write(`${(error as Error).stack}\n`);
  return 1;
}
