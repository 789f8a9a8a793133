// The Store on DynamoDB (dynalite behind the real AWS SDK): every "only once" holds under concurrency.
// The behaviour is the shared Store contract (test/support/store-contract.ts), which the local FileStore keeps too.
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoStore } from '../../store/dynamo.ts';
import { startDynalite, type LocalDynamo } from '../support/dynalite.ts';
import { describeStoreContract } from '../support/store-contract.ts';
import { limitVerdict } from '../support/verdicts.ts';

let dynamo: LocalDynamo;
let tables = 0;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo?.close();
});

// A table per test: each starts from an empty store, as the contract expects.
describeStoreContract('DynamoStore', async () => {
  const table = `oombot-${++tables}`;
  await dynamo.createTable(table);
  return new DynamoStore(dynamo.client, table);
});

describe('DynamoStore reads what it stored, checked', () => {
  it('gives back the incident with its verdict decoded, and names what is wrong with one that does not read', async () => {
    await dynamo.createTable('oombot-decode');
    const store = new DynamoStore(dynamo.client, 'oombot-decode');
    const verdict = limitVerdict();
    const incident = { incidentId: 'inc-ok', occurrenceId: 'term-ok', cluster: 'prod-eu', namespace: 'shop', workload: 'Deployment/checkout', container: 'api', cause: verdict.cause, kind: verdict.kind, headline: verdict.headline, occurredAt: '2026-11-27T10:14:03Z', message: { channel: 'C1', ts: '1.1' }, verdict };
    await store.recordIncident(incident);
    expect(await store.incident('inc-ok')).toEqual(incident);
    // An item written by hand (or by an older version) whose verdict is not one: an error that says so, not a cast.
    const db = DynamoDBDocumentClient.from(dynamo.client);
    await db.send(new PutCommand({ TableName: 'oombot-decode', Item: { PK: 'INC#inc-bad', SK: 'INC', ...incident, incidentId: 'inc-bad', verdict: '{"cause":"limit"}' } }));
    await expect(store.incident('inc-bad')).rejects.toThrow(/^the stored incident inc-bad does not read as one: verdict\.version /);
  });
});
