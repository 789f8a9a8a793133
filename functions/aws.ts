// The Lambdas' adapters and cold start (functions/compose.ts builds the parts from them, functions/env.ts reads their
// configuration): the Slack secrets from SSM (decrypted, never logged), the cluster registry with the function's own credentials and the
// tokens in Secrets Manager, DynamoDB, the dead-letter queue, the asynchronous invoke of `actions`. Each client is made
// only by the function that uses it, and esbuild drops the SDK clients a bundle does not call (the SDK's packages are
// side-effect free), so each role is asked only for what its code calls (docs/architecture.md, "Security rules").
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import type { ActionJob } from '../bot/actions.ts';
import { OombotError } from '#shared/errors.ts';
import { clusterRegistry, type ClusterEntry, type ClusterRegistry } from '../kube/cluster-registry.ts';
import { DynamoStore } from '../store/dynamo.ts';
import type { ActionsConfig } from './env.ts';
import type { Parts } from './compose.ts';

/** A SecureString from SSM, decrypted; `what` names it in the error when the parameter is empty. */
export async function secureParameter(name: string, what: string): Promise<string> {
  const value = (await new SSMClient({}).send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter?.Value;
  if (!value) throw new OombotError('config', `SSM parameter ${name} has no value: put ${what} there`);
  return value;
}

export function dynamoStore(tableName: string): DynamoStore {
  return new DynamoStore(new DynamoDBClient({}), tableName);
}

/**
 * The clusters of OOMBOT_CLUSTERS: EKS ones read and patch as the function's own role, others with their tokens from
 * Secrets Manager (a reader token, and a patch token that only actions' role may read; kube/cluster-registry.ts).
 */
export function awsClusterRegistry(clusters: ClusterEntry[]): ClusterRegistry {
  const secrets = new SecretsManagerClient({});
  const credentials = defaultProvider();
  return clusterRegistry(clusters, {
    credentials: () => credentials(),
    secret: async (id) => (await secrets.send(new GetSecretValueCommand({ SecretId: id }))).SecretString ?? '',
  });
}

/**
 * The parts of analyze and actions in AWS: DynamoDB, the bot token from SSM, the cluster registry. Only actions' raise
 * asks for a patch token (a secret is fetched at a cluster's first request), and only its role may read one.
 */
export async function awsParts(config: Pick<ActionsConfig, 'OOMBOT_TABLE' | 'OOMBOT_SLACK_TOKEN_PARAMETER' | 'OOMBOT_CLUSTERS' | 'OOMBOT_SLACK_API_URL'>): Promise<Parts> {
  const registry = awsClusterRegistry(config.OOMBOT_CLUSTERS);
  return {
    store: dynamoStore(config.OOMBOT_TABLE),
    slackToken: await secureParameter(config.OOMBOT_SLACK_TOKEN_PARAMETER, 'the Slack bot token'),
    slackApiUrl: config.OOMBOT_SLACK_API_URL,
    cluster: registry.reader,
    patcher: registry.patcher,
    clusters: config.OOMBOT_CLUSTERS.map((c) => c.name),
  };
}

/** Sends what cannot be read to the dead-letter queue, with the reason (retrying cannot fix it). */
export function deadLetterQueue(queueUrl: string): (reason: string, event: unknown) => Promise<void> {
  const sqs = new SQSClient({});
  return async (reason, event) => {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ reason, event }) }));
  };
}

/** Hands a job to the actions function by an asynchronous invoke: Lambda queues it and answers 202 at once. */
export function lambdaDispatch(functionName: string): (job: ActionJob) => Promise<void> {
  const lambda = new LambdaClient({});
  return async (job) => {
    const res = await lambda.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload: JSON.stringify(job) }));
    if (res.StatusCode !== 202) throw new OombotError('aws', `the actions function was not queued (status ${res.StatusCode})`);
  };
}

/**
 * A Lambda's cold start, run on the first invocation and kept for the next ones; a failed one is not kept, so the next
 * invocation tries again.
 */
export function coldStart<T>(build: () => Promise<T>): () => Promise<T> {
  let ready: Promise<T> | undefined;
  return () =>
    (ready ??= build().catch((error: unknown) => {
      ready = undefined;
      throw error;
    }));
}
