// `npm run sandbox:prepare`: find or build the control-plane binaries, helm, promql-check and the forwarder image's
// Node.js ahead of time (CI runs it before the tests, so a cold Go build or a download is not charged to a test hook's
// timeout).
import { controlPlaneBinaries, displayPath } from './binaries.ts';
import { terminalProgress } from './build-progress.ts';
import { helmBinary } from './helm.ts';
import { imageNodeBinary } from './image-node.ts';
import { promqlCheckBinary } from './promql.ts';

const started = Date.now();
// The build's phases and Go's download count every few seconds (a CI log is not a TTY), not Go's line per module.
const progress = terminalProgress(process.stderr);
const bins = await controlPlaneBinaries({ log: (line) => progress.write(line), reporter: progress });
console.log(`control plane binaries (${bins.source}, ${((Date.now() - started) / 1000).toFixed(1)} s): ${displayPath(bins.kubeApiserver)}, ${displayPath(bins.etcd)}`);
const helmStarted = Date.now();
const helm = await helmBinary((line) => process.stderr.write(`${line}\n`));
console.log(`helm (${((Date.now() - helmStarted) / 1000).toFixed(1)} s): ${displayPath(helm)}`);
const promqlStarted = Date.now();
const promql = await promqlCheckBinary((line) => process.stderr.write(`${line}\n`));
console.log(`promql-check (${((Date.now() - promqlStarted) / 1000).toFixed(1)} s): ${displayPath(promql)}`);
const nodeStarted = Date.now();
const imageNode = await imageNodeBinary((line) => process.stderr.write(`${line}\n`));
console.log(`the forwarder image's Node.js (${((Date.now() - nodeStarted) / 1000).toFixed(1)} s): ${displayPath(imageNode)}`);
