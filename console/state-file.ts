// The console's messages on disk, so that a restart of local mode still shows earlier alerts. Written atomically (a
// temporary file in the same directory, then rename, which POSIX makes atomic within a file system): a crash mid-write
// leaves the previous state, never half a file. Writes are coalesced: a change during a write is saved right after it.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { OombotError, toOombotError } from '#shared/errors.ts';
import type { Logger } from '#shared/log.ts';
import { WorkspaceSnapshotSchema, type WorkspaceSnapshot } from './workspace.ts';

/** The console's state file cannot be read (`io`) or does not read as one (`stored-record`). */
export class ConsoleStateError extends OombotError {
  override readonly name = 'ConsoleStateError';
}

/** The saved snapshot, or undefined when there is none yet. */
export async function loadState(file: string): Promise<WorkspaceSnapshot | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
    throw new ConsoleStateError('io', `cannot read the console state file ${file}: ${toOombotError(error).message}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConsoleStateError('stored-record', `the console state file ${file} is not JSON; delete it to start with an empty console`, { cause: error });
  }
  const parsed = WorkspaceSnapshotSchema.safeParse(json);
  if (!parsed.success) throw new ConsoleStateError('stored-record', `the console state file ${file} is not a console state (${parsed.error.issues[0]?.message}); delete it to start with an empty console`, { cause: parsed.error });
  return parsed.data;
}

export class StateWriter {
  private writing: Promise<void> | undefined;
  private pending = false;
  private serial = 0;
  private lastError: unknown;

  constructor(
    private readonly file: string,
    private readonly snapshot: () => WorkspaceSnapshot,
    private readonly log: Logger,
  ) {}

  /** Saves soon; several changes in a row make one or two writes. */
  schedule(): void {
    this.pending = true;
    this.writing ??= this.drain();
  }

  /** Resolves when everything scheduled is on disk; rejects with the last write's error, if any. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.lastError) {
      const error = this.lastError;
      this.lastError = undefined;
      throw error;
    }
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending) {
        this.pending = false;
        try {
          await this.write(JSON.stringify(this.snapshot()));
          this.lastError = undefined;
        } catch (error) {
          this.lastError = error;
          this.log.error('could not save the console state; the messages since are kept in memory only', { file: this.file, error });
        }
      }
    } finally {
      this.writing = undefined;
    }
  }

  private async write(text: string): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    this.serial += 1;
    const tmp = `${this.file}.${process.pid}.${this.serial}.tmp`;
    await writeFile(tmp, text, { mode: 0o600 });
    await rename(tmp, this.file);
  }
}
