// The Store on DynamoDB (dynalite behind the real AWS SDK): every "only once" holds under concurrency.
// The behaviour is the shared Store contract (test/support/store-contract.ts), which the local FileStore keeps too.
import { afterAll, beforeAll } from 'vitest';
import { DynamoStore } from '../../store/dynamo.ts';
import { startDynalite, type LocalDynamo } from '../support/dynalite.ts';
import { describeStoreContract } from '../support/store-contract.ts';

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
