// The two store adapters side by side, each call a fresh store: a DynamoStore on its own dynalite table, a FileStore in
// its own file. For integration tests that run the same cases on both (what the store contract keeps equal).
import { join } from 'node:path';
import { DynamoStore } from '../../store/dynamo.ts';
import { FileStore } from '../../store/file.ts';
import type { Store } from '../../store/port.ts';
import type { LocalDynamo } from './dynalite.ts';

/** `dynamo` and `dir` are read when a store is made (they are set in beforeAll); `prefix` names the tables. */
export function bothStores(dynamo: () => LocalDynamo, dir: () => string, prefix: string): [string, () => Promise<Store>][] {
  return reopenableStores(dynamo, dir, prefix).map(([name, make]) => [name, async () => (await make()).store]);
}

/**
 * The two stores, each with a way to open it again over what it persisted — the same table, the same file — as
 * a restarted bot process does.
 */
export function reopenableStores(dynamo: () => LocalDynamo, dir: () => string, prefix: string): [string, () => Promise<{ store: Store; reopen(): Promise<Store> }>][] {
  let made = 0;
  return [
    [
      'DynamoStore',
      async () => {
        const name = `${prefix}-${++made}`;
        await dynamo().createTable(name);
        return { store: new DynamoStore(dynamo().client, name), reopen: async () => new DynamoStore(dynamo().client, name) };
      },
    ],
    [
      'FileStore',
      async () => {
        const file = join(dir(), `store-${++made}.json`);
        return { store: await FileStore.open(file), reopen: () => FileStore.open(file) };
      },
    ],
  ];
}
