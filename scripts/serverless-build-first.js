// An osls plugin (serverless.yml `plugins`): `osls package` and `osls deploy` bundle the functions before packaging
// them, so the zips never hold a missing or stale bundle. Without it, packaging before `npm run build:functions`
// stopped at osls's "No file matches include / exclude patterns" with no hint, and packaging after an edit without a
// rebuild shipped the old code. Plain JavaScript because osls loads plugins with require()/import(), not through tsx.
import { spawnSync } from 'node:child_process';

export default class BuildFunctionsFirst {
  constructor(serverless, _options, { log } = {}) {
    this.serviceDir = serverless.serviceDir ?? serverless.config.servicePath;
    this.log = log;
    this.hooks = { 'before:package:createDeploymentArtifacts': () => this.build() };
  }

  build() {
    this.log?.notice?.('Building the functions (npm run build:functions)');
    const result = spawnSync('npm', ['run', '--silent', 'build:functions'], { cwd: this.serviceDir, stdio: ['ignore', 'inherit', 'inherit'] });
    if (result.error || result.status !== 0) {
      const why = result.error ? result.error.message : `exit ${result.status ?? result.signal}`;
      throw new Error(`npm run build:functions failed (${why}): osls packages the bundles it writes to dist/functions/. Run it on its own to see why (after npm ci), then package again.`);
    }
  }
}
