// The entry of the forwarder image's bundle (npm run build:forwarder). It imports the forwarder command alone, not the
// whole CLI: the bundle keeps @kubernetes/client-node external, and any static import of it (the sandbox command has
// one) would be hoisted to the bundle's top and load the whole generated API — 60 MiB — into every forwarder.
import { forwarderCommand } from '../cli/forwarder-command.ts';
import { reportError } from '../cli/errors.ts';

const io = { stdout: process.stdout, stderr: process.stderr };
const args = process.argv.slice(2);
try {
  process.exitCode = await forwarderCommand(args[0] === 'forwarder' ? args.slice(1) : args, io);
} catch (error) {
  process.exitCode = reportError(error, io);
}
