// DynamoDB on loopback for tests: dynalite (in memory) behind the real AWS SDK.
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { tableDefinition } from '../../store/table.ts';

export interface LocalDynamo {
  client: DynamoDBClient;
  endpoint: string;
  createTable(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function startDynalite(): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  return {
    client,
    endpoint,
    createTable: async (name) => {
      await client.send(new CreateTableCommand(tableDefinition(name)));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
