// The environment both Lambda handlers run with in tests: the real AWS SDK pointed at loopback (dynalite, the
// JSON-protocol double for SSM, SQS and Secrets Manager), the table, and one registered cluster (the test's API server,
// its reader and patch tokens served by the Secrets Manager double).
import type { ControlPlane } from '../../sandbox/control-plane.ts';

export function lambdaTestEnv(o: { dynamoEndpoint: string; awsUrl: string; controlPlane: ControlPlane }): Record<string, string> {
  return {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_DYNAMODB: o.dynamoEndpoint,
    AWS_ENDPOINT_URL_SSM: o.awsUrl,
    AWS_ENDPOINT_URL_SQS: o.awsUrl,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: o.awsUrl,
    OOMBOT_TABLE: 'oombot',
    OOMBOT_CLUSTERS: JSON.stringify([{ name: 'prod-eu', server: o.controlPlane.url, caData: Buffer.from(o.controlPlane.caData).toString('base64'), auth: 'token', tokenSecretId: 'oombot/clusters/prod-eu', patchTokenSecretId: 'oombot/cluster-patchers/prod-eu' }]),
  };
}
