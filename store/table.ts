// The one DynamoDB table (single-table design): items keyed by PK/SK, expired by DynamoDB's TTL on `expiresAt`
// (epoch seconds). serverless.yml declares the same shape; tests and local mode create it from here.
//   occurrence  PK OCC#<occurrenceId>        SK OCC     claim, then the posted message; 14 days
//   repeats     PK GRP#<group key>           SK GRP     count, firstAt, lastAt, the first message; window + 1 day
//   mute        PK MUTE#<key>                SK MUTE    until, by; expires when it ends
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

export const TTL_ATTRIBUTE = 'expiresAt';

export function tableDefinition(name: string): CreateTableCommandInput {
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'PK', AttributeType: 'S' },
      { AttributeName: 'SK', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'PK', KeyType: 'HASH' },
      { AttributeName: 'SK', KeyType: 'RANGE' },
    ],
  };
}
