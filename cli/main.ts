// The `oombot` command line. Every error ends here as one line on stderr and the exit code of its stable code
// (cli/errors.ts); anything else is a bug and says so, still without a stack trace unless OOMBOT_DEBUG is set. Each
// command is imported when it runs, so that `oombot --help` loads none of them (the diagnosis core and zod included).
import { OombotError } from '#shared/errors.ts';
import { reportError } from './errors.ts';
import { writeOutput, type Io } from './io.ts';

const USAGE = `usage: oombot <command> [options]   (or, as a kubectl plugin: kubectl oom <command> [options])

commands:
  explain [<namespace>/]<pod> why did this container die? (live, or offline with --from-file); also: why
  forwarder                   watch the cluster and publish memory deaths to EventBridge (configured from the environment)
  sandbox                     run a local Kubernetes control plane (etcd + kube-apiserver) until interrupted
  start                       the whole product on this machine: the local console (or Slack over Socket Mode), the demo

Run oombot <command> --help for a command's options.`;

export async function main(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'explain':
      case 'why': {
        // as in `/oom why` and `kubectl oom why <pod> -n <ns>`
        const { explainCommand } = await import('./explain-command.ts');
        return await explainCommand(rest, io);
      }
      case 'forwarder': {
        const { forwarderCommand } = await import('./forwarder-command.ts');
        return await forwarderCommand(rest, io);
      }
      case 'sandbox': {
        const { sandboxCommand } = await import('./sandbox-command.ts');
        return await sandboxCommand(rest, io);
      }
      case 'start': {
        const { startCommand } = await import('./start-command.ts');
        return await startCommand(rest, io);
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        await writeOutput(io.stdout, `${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        throw new OombotError('bad-usage', `unknown command "${command}"; commands: explain, forwarder, sandbox, start`);
    }
  } catch (error) {
    const code = reportError(error, io);
    // A pod name found in several namespaces is bad usage too, but its line already says what to add.
    if (error instanceof OombotError && error.code === 'bad-usage' && error.name !== 'AmbiguousPodError' && (command === 'explain' || command === 'why')) {
      const { EXPLAIN_USAGE } = await import('./explain-command.ts');
      io.stderr.write(`${EXPLAIN_USAGE.split('\n')[0]}\n`);
    }
    return code;
  }
}

