// `npm run sandbox:prepare`: find or build the control-plane binaries ahead of time (CI runs it before the tests).
import { controlPlaneBinaries, displayPath } from './binaries.ts';

const started = Date.now();
const bins = await controlPlaneBinaries({ log: (line) => process.stderr.write(`${line}\n`) });
console.log(`control plane binaries (${bins.source}, ${((Date.now() - started) / 1000).toFixed(1)} s): ${displayPath(bins.kubeApiserver)}, ${displayPath(bins.etcd)}`);
