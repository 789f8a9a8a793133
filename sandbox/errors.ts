// Errors of the local control plane. Each carries a stable `code` so the CLI and tests can branch on it, and a one-line
// message that tells the reader how to fix the problem (docs/code-style.md, "Typed errors with stable codes").

export type ControlPlaneErrorCode =
  | 'KUBEBUILDER_ASSETS_INCOMPLETE'
  | 'CONTROL_PLANE_BUILD_FAILED'
  | 'CONTROL_PLANE_START_FAILED';

export class ControlPlaneError extends Error {
  override readonly name = 'ControlPlaneError';
  /** The failing process's log, kept on disk after a failed start so the message can point at it. */
  readonly logFile?: string;
  /** The last lines of the failing process's output (build script or daemon log). */
  readonly output: readonly string[];

  constructor(
    readonly code: ControlPlaneErrorCode,
    message: string,
    options: { cause?: unknown; logFile?: string; output?: readonly string[] } = {},
  ) {
    super(message, { cause: options.cause });
    this.logFile = options.logFile;
    this.output = options.output ?? [];
  }
}
