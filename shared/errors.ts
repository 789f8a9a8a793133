// Errors the diagnosis reports to its callers. Each has a stable code (the CLI maps codes to exit codes, the Slack
// app to messages) and a message that tells a person what was wrong and what to do.

export type DiagnosisErrorCode = 'CONTAINER_NOT_FOUND' | 'NO_MEMORY_TERMINATION';

export class DiagnosisError extends Error {
  override name = 'DiagnosisError';
  constructor(
    readonly code: DiagnosisErrorCode,
    message: string,
  ) {
    super(message);
  }
}
