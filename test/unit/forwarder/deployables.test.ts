// What can be checked of the forwarder's image and IAM policy without building the image (no Docker engine here):
// the Dockerfile lints clean and keeps the properties the chart relies on; the policy grants one action on one bus.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';

const root = path.join(import.meta.dirname, '../../..');
const dockerfile = readFileSync(path.join(root, 'infra/forwarder/Dockerfile'), 'utf8');

describe('the forwarder image', () => {
  it('lints clean (dockerfile-utils, the VS Code Docker extension’s linter)', () => {
    expect(validate(dockerfile)).toEqual([]);
  });

  it('is multi-stage, runs the bundle as a non-root user, and builds with the npm script the benchmark measures', () => {
    const stages = dockerfile.match(/^FROM /gm) ?? [];
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^FROM gcr\.io\/distroless\/nodejs22-debian12:nonroot$/m);
    expect(dockerfile).toMatch(/^USER 65532:65532$/m);
    expect(dockerfile).toMatch(/^RUN npm run build:forwarder$/m);
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['build:forwarder']).toContain('--outfile=dist/forwarder.mjs');
    expect(dockerfile).toContain('COPY --from=build /src/dist/forwarder.mjs /app/forwarder.mjs');
  });
});

describe('the forwarder IAM policy', () => {
  it('allows PutEvents on the oombot bus only, from the forwarder source only', () => {
    const policy = JSON.parse(readFileSync(path.join(root, 'infra/iam/forwarder-policy.json'), 'utf8')) as { Statement: { Effect: string; Action: string; Resource: string; Condition: unknown }[] };
    expect(policy.Statement).toEqual([
      {
        Sid: 'PutOccurrencesOnTheOombotBusOnly',
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Resource: 'arn:aws:events:REGION:ACCOUNT_ID:event-bus/oombot',
        Condition: { StringEquals: { 'events:source': 'oombot.forwarder' } },
      },
    ]);
  });
});
