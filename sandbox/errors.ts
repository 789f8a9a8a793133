// Errors of the local control plane. Each carries a stable `code` so the CLI and tests can branch on it, and a one-line
// message that tells the reader how to fix the problem (docs/code-style.md, "Typed errors with stable codes").
import { OombotError, type ErrorCode } from '#shared/errors.ts';

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

/**
 * What this machine lacks to build or run the local control plane. Not a bug of ours, so not `internal`: each is a
 * person's to fix, and its code gives the CLI's exit code (cli/errors.ts): Go missing or too old is `config` (2), as
 * KUBEBUILDER_ASSETS (the other way to get the binaries) is a setting; no route to the Go module proxy is `unreachable`
 * (4); no disk space `io` (5).
 */
export const PREREQUISITES = {
  go: 'config',
  'go-version': 'config',
  'module-proxy': 'unreachable',
  'disk-space': 'io',
} as const satisfies Record<string, ErrorCode>;
export type Prerequisite = keyof typeof PREREQUISITES;

export class PrerequisiteError extends OombotError {
  override readonly name = 'PrerequisiteError';
  constructor(
    readonly missing: Prerequisite,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(PREREQUISITES[missing], message, options);
  }
}

/** The build was stopped on purpose (Ctrl-C, SIGTERM, or the caller gave up); not a failure to report. */
export class BuildAbortedError extends Error {
  override readonly name = 'BuildAbortedError';
}
