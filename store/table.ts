// The one DynamoDB table (single-table design): items keyed by PK/SK, expired by DynamoDB's TTL on `expiresAt`
// (epoch seconds), at the lifetimes of store/lifetimes.ts. serverless.yml declares the same shape; tests and local mode
// create it from here.
//   occurrence  PK OCC#<occurrenceId>        SK OCC     claim, then the posted message; 14 days
//   click       PK CLICK#<clickId>           SK CLICK   a button click's claim, never an occurrence's; 1 day
//   repeats     PK GRP#<group key>           SK GRP     count, firstAt, lastAt, the first message; window + 1 day
//               PK GRP#<group key>           SK MEM#<occurrenceId>   its place: count, the group's firstAt, its root
//   mute        PK MUTE#<key>                SK MUTE    until, by; expires when it ends
//   audit       PK AUDIT#<incidentId>        SK <at>#<userId>   who changed what, before → after; kept
//   incident    PK INC#<incidentId>          SK INC     the verdict, where it was posted; 90 days
//               GSI1PK RECENT#<cluster>              GSI1SK <occurredAt>#<incidentId>   (/oom recent)
//               GSI2PK RECENT#<cluster>#<namespace>  GSI2SK <occurredAt>#<incidentId>   (/oom recent <namespace>)
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

export const TTL_ATTRIBUTE = 'expiresAt';

export function tableDefinition(name: string): CreateTableCommandInput {
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'PK', AttributeType: 'S' },
      { AttributeName: 'SK', AttributeType: 'S' },
      { AttributeName: 'GSI1PK', AttributeType: 'S' },
      { AttributeName: 'GSI1SK', AttributeType: 'S' },
      { AttributeName: 'GSI2PK', AttributeType: 'S' },
      { AttributeName: 'GSI2SK', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'PK', KeyType: 'HASH' },
      { AttributeName: 'SK', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      { IndexName: 'GSI1', KeySchema: [{ AttributeName: 'GSI1PK', KeyType: 'HASH' }, { AttributeName: 'GSI1SK', KeyType: 'RANGE' }], Projection: { ProjectionType: 'ALL' } },
      { IndexName: 'GSI2', KeySchema: [{ AttributeName: 'GSI2PK', KeyType: 'HASH' }, { AttributeName: 'GSI2SK', KeyType: 'RANGE' }], Projection: { ProjectionType: 'ALL' } },
    ],
  };
}
