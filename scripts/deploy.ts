// `npm run deploy -- --stage NAME [--region R] [--param name=value]... [--package-only [--out DIR]]` (--dry-run is
// --package-only): the backend in one command (README, "Deploy the backend"). It checks everything it can before
// anything is built or sent — the stage, the region, serverless.yml's parameters (scripts/deploy-params.ts) and, for a
// real deploy, that the stage's Slack secrets are in SSM — and says every problem at once with what to set (exit 2).
// Then osls packages (and, unless --package-only, deploys) the stage; osls builds the functions first
// (scripts/serverless-build-first.js), so a direct `osls deploy` cannot ship stale bundles either. A script rather
// than an `oombot` subcommand: deploying needs the repository (serverless.yml, osls and esbuild from
// devDependencies), which the packed CLI does not ship.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DescribeParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { deployProblems, parseParamFlags, stageNames, type DeployRequest } from './deploy-params.ts';

const root = path.join(import.meta.dirname, '..');
const USAGE = 'usage: npm run deploy -- --stage NAME [--region REGION] [--param name=value]... [--package-only|--dry-run [--out DIR]]';

/** Exit 2: something the operator must set (as the oombot CLI's bad-usage code); otherwise osls's own exit code. */
class Refused extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

function readRequest(argv: string[]): DeployRequest & { packageOnly: boolean; out: string | undefined } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        stage: { type: 'string' },
        region: { type: 'string' },
        param: { type: 'string', multiple: true, default: [] },
        'package-only': { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        out: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new Refused([`${(error as Error).message}`, USAGE]);
  }
  const { values } = parsed;
  const { params, problems } = parseParamFlags(values.param);
  const region = values.region ?? process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'];
  problems.push(...deployProblems({ stage: values.stage, region, params }));
  const packageOnly = values['package-only'] || values['dry-run'];
  if (values.out !== undefined && !packageOnly) problems.push('--out is where --package-only writes the package; a deploy packages into .serverless/');
  if (problems.length) throw new Refused(problems);
  return { stage: values.stage!, region: region!, params, packageOnly, out: values.out };
}

/** The stage's Slack secrets must exist before its functions start (they read them at cold start); metadata only. */
async function checkSlackSecrets(request: DeployRequest): Promise<void> {
  const names = stageNames(request.stage, request.region);
  const wanted = {
    slackTokenParameter: request.params['slackTokenParameter'] ?? names.slackTokenParameter,
    slackSigningSecretParameter: request.params['slackSigningSecretParameter'] ?? names.slackSigningSecretParameter,
  };
  const ssm = new SSMClient({ region: request.region });
  let found: { Name?: string | undefined; Type?: string | undefined }[];
  try {
    const out = await ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: Object.values(wanted) }] }));
    found = out.Parameters ?? [];
  } catch (error) {
    throw new Refused([`could not look for the Slack secrets in SSM (${(error as Error).name}: ${(error as Error).message}): deploy with credentials of the account that will hold the stack (AWS_PROFILE), allowed ssm:DescribeParameters`]);
  } finally {
    ssm.destroy();
  }
  const problems: string[] = [];
  const example = { slackTokenParameter: 'xoxb-…, the Bot User OAuth Token from the app’s OAuth & Permissions page', slackSigningSecretParameter: '…, the Signing Secret from the app’s Basic Information page' };
  for (const [param, name] of Object.entries(wanted) as [keyof typeof wanted, string][]) {
    const p = found.find((f) => f.Name === name);
    if (!p) problems.push(`SSM parameter ${name} is not in ${request.region}: aws ssm put-parameter --region ${request.region} --name ${name} --type SecureString --value ${example[param]} (or --param ${param}=<the name you used>)`);
    else if (p.Type !== 'SecureString') problems.push(`SSM parameter ${name} is a ${p.Type}, not a SecureString: put it again with --type SecureString --overwrite`);
  }
  if (problems.length) throw new Refused(problems);
}

function osls(args: string[]): Promise<number> {
  const bin = path.join(root, 'node_modules/.bin/osls');
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd: root, stdio: 'inherit', env: { ...process.env, SLS_TELEMETRY_DISABLED: '1' } });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

function nextSteps(request: DeployRequest): string {
  const names = stageNames(request.stage, request.region);
  return [
    `Next (README, "Deploy the backend"):`,
    `  - the Slack app's manifest: replace https://REPLACE-WITH-HttpApiUrl.invalid with the HttpApiUrl output above (its request URL is the SlackRequestUrl output)`,
    `  - EKS access entries: ${names.roles.analyze} (AnalyzeRoleArn) → oombot:readers; ${names.roles.actions} (ActionsRoleArn) → oombot:readers and oombot:patchers`,
    `  - the forwarder's chart: --set eventBus=${names.bus} --set region=${request.region}, its role allowed infra/iam/forwarder-policy.json with STAGE=${request.stage}`,
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const request = readRequest(argv);
  const names = stageNames(request.stage, request.region);
  if (!request.packageOnly) await checkSlackSecrets(request);
  console.log(`Stage ${request.stage} in ${request.region}: stack, bus and table ${names.bus}; functions ${Object.values(names.functions).join(', ')}; roles ${Object.values(names.roles).join(', ')}`);
  const params = Object.entries(request.params).map(([k, v]) => `--param=${k}=${v}`);
  const common = ['--stage', request.stage, '--region', request.region, ...params];
  if (request.packageOnly) {
    const out = path.resolve(request.out ?? path.join(root, '.serverless'));
    const code = await osls(['package', ...common, '--package', out]);
    if (code === 0) console.log(`Packaged into ${out} (cloudformation-template-update-stack.json and one zip per function); nothing was deployed.`);
    return code;
  }
  const code = await osls(['deploy', ...common, '--verbose']);
  if (code === 0) console.log(nextSteps(request));
  return code;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof Refused) {
      console.error(`npm run deploy: nothing was built or deployed:\n${error.problems.map((p) => `  - ${p}`).join('\n')}`);
      process.exit(2);
    }
    console.error(`npm run deploy: ${(error as Error).message}`);
    process.exit(1);
  },
);
