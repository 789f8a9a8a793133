// The Store on DynamoDB. Every "only once" is a conditional write, so concurrent Lambda invocations agree without locks.
import { createHash } from 'node:crypto';
import { headOf } from '#shared/clip-text.ts';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { EXPIRES, STALE_CLAIM_MS } from './lifetimes.ts';
import { decodeIncident, encodeIncident, MuteSchema, nextCounterSlot, type AuditRecord, type Claim, type GroupMessage, type Incident, type MessageRef, type Mute, type RecentOptions, type RepeatGroup, type Store } from './port.ts';
import { ChannelStormsSchema, emptyChannelStorms, placeInStorm, reserveUpdate, withShown, withStormRoot, type ChannelStorms, type Storm, type StormOccurrence, type StormPlace, type StormSettings } from './storms.ts';

/**
 * A key part within DynamoDB's limits (a partition key at most 2,048 bytes, a sort key 1,024): the text itself when
 * short — keys stay readable in the console — else its start and a SHA-256 of the whole. Names from a cluster have no
 * length a table can rely on (an event's involvedObject name, an ownerReference's name).
 */
export function keyPart(text: string): string {
  if (Buffer.byteLength(text, 'utf8') <= KEY_PART_MAX_BYTES) return text;
  return `${headOf(text, 64)}~sha256:${createHash('sha256').update(text).digest('hex')}`;
}
const KEY_PART_MAX_BYTES = 512;
/** Turns at the channel's storm record before an invocation gives up (and the bus retries it). */
const STORM_ATTEMPTS = 50;

export class DynamoStore implements Store {
  private readonly db: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly table: string,
  ) {
    this.db = DynamoDBDocumentClient.from(client);
  }

  async claimOccurrence(occurrenceId: string, now: number): Promise<Claim> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { PK: `OCC#${keyPart(occurrenceId)}`, SK: 'OCC', state: 'claimed', claimedAt: now, expiresAt: seconds(EXPIRES.occurrence(now)) },
          ConditionExpression: 'attribute_not_exists(PK) OR (#s = :claimed AND claimedAt < :stale)',
          ExpressionAttributeNames: { '#s': 'state' },
          ExpressionAttributeValues: { ':claimed': 'claimed', ':stale': now - STALE_CLAIM_MS },
        }),
      );
      return 'claimed';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'duplicate';
      throw error;
    }
  }

  async claimClick(clickId: string, now: number): Promise<Claim> {
    try {
      await this.db.send(new PutCommand({ TableName: this.table, Item: { PK: `CLICK#${keyPart(clickId)}`, SK: 'CLICK', expiresAt: seconds(EXPIRES.click(now)) }, ConditionExpression: 'attribute_not_exists(PK)' }));
      return 'claimed';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'duplicate';
      throw error;
    }
  }

  async releaseOccurrence(occurrenceId: string): Promise<void> {
    // Only an unposted claim is released: a posted occurrence stays posted whatever happens after.
    try {
      await this.db.send(new DeleteCommand({ TableName: this.table, Key: { PK: `OCC#${keyPart(occurrenceId)}`, SK: 'OCC' }, ConditionExpression: '#s = :claimed', ExpressionAttributeNames: { '#s': 'state' }, ExpressionAttributeValues: { ':claimed': 'claimed' } }));
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async markOccurrencePosted(occurrenceId: string, message: MessageRef): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { PK: `OCC#${keyPart(occurrenceId)}`, SK: 'OCC' },
        UpdateExpression: 'SET #s = :posted, channel = :c, ts = :ts',
        ExpressionAttributeNames: { '#s': 'state' },
        ExpressionAttributeValues: { ':posted': 'posted', ':c': message.channel, ':ts': message.ts },
      }),
    );
  }

  async recordRepeat(groupKey: string, now: number, windowMs: number, occurrenceId?: string, at = now): Promise<RepeatGroup> {
    const key = { PK: `GRP#${keyPart(groupKey)}`, SK: 'GRP' };
    const expiresAt = seconds(EXPIRES.group(Math.max(now, at), windowMs));
    if (occurrenceId === undefined) return this.countInto(key, at, windowMs, expiresAt);
    // An occurrence counted before (its post failed, the retry is here) gets its earlier place back, in the group it
    // was counted in: the group item holds only the latest group, so the member item says which (its firstAt). Only
    // the claim holder gets here, so one occurrence is never counted by two invocations at once.
    const member = { PK: key.PK, SK: `MEM#${keyPart(occurrenceId)}` };
    const seen = (await this.db.send(new GetCommand({ TableName: this.table, Key: member, ConsistentRead: true }))).Item;
    if (seen) {
      const place = { count: Number(seen['count']), firstAt: Number(seen['firstAt']) };
      const group = (await this.db.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }))).Item;
      if (group && Number(group['firstAt']) === place.firstAt) return { ...groupOf(group), ...place };
      const root = groupOf(seen).message;
      return { ...place, ...(root ? { message: { channel: root.channel, ts: root.ts } } : {}), closed: true };
    }
    const counted = await this.countInto(key, at, windowMs, expiresAt);
    const root = counted.message ? { channel: counted.message.channel, ts: counted.message.ts } : {};
    await this.db.send(new PutCommand({ TableName: this.table, Item: { ...member, count: counted.count, firstAt: counted.firstAt, ...root, expiresAt } }));
    return counted;
  }

  private async countInto(key: { PK: string; SK: string }, at: number, windowMs: number, expiresAt: number): Promise<RepeatGroup> {
    for (let attempt = 0; attempt < 5; attempt++) {
      // Join the open group: only if it exists and its last occurrence is within the window.
      try {
        const res = await this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: key,
            UpdateExpression: 'SET lastAt = :at, expiresAt = :exp ADD #n :one',
            ConditionExpression: 'attribute_exists(PK) AND lastAt >= :cutoff',
            ExpressionAttributeNames: { '#n': 'count' },
            ExpressionAttributeValues: { ':at': at, ':exp': expiresAt, ':one': 1, ':cutoff': at - windowMs },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return groupOf(res.Attributes);
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
      // Open a new group, unless another invocation just did (then join it on the next turn).
      try {
        await this.db.send(
          new PutCommand({
            TableName: this.table,
            Item: { ...key, count: 1, firstAt: at, lastAt: at, expiresAt },
            ConditionExpression: 'attribute_not_exists(PK) OR lastAt < :cutoff',
            ExpressionAttributeValues: { ':cutoff': at - windowMs },
          }),
        );
        return { count: 1, firstAt: at };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    throw new Error(`recording a repeat in ${key.PK} kept conflicting; retry the invocation`);
  }

  async currentRepeat(groupKey: string): Promise<RepeatGroup | undefined> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: { PK: `GRP#${keyPart(groupKey)}`, SK: 'GRP' }, ConsistentRead: true }));
    return res.Item ? groupOf(res.Item) : undefined;
  }

  async repeatMessage(groupKey: string): Promise<GroupMessage | undefined> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: { PK: `GRP#${keyPart(groupKey)}`, SK: 'GRP' }, ConsistentRead: true }));
    return groupOf(res.Item).message;
  }

  async setRepeatMessage(groupKey: string, message: GroupMessage): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { PK: `GRP#${keyPart(groupKey)}`, SK: 'GRP' },
        UpdateExpression: 'SET channel = :c, ts = :ts, blocks = :b, #t = :t, listed = :l',
        // The first one set stays: a later standalone alert must not move the thread.
        ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(ts)',
        ExpressionAttributeNames: { '#t': 'text' },
        ExpressionAttributeValues: { ':c': message.channel, ':ts': message.ts, ':b': message.blocks ?? '', ':t': message.text ?? '', ':l': message.listed ?? [] },
      }),
    ).catch((error: unknown) => {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    });
  }

  async replaceRepeatBlocks(groupKey: string, blocks: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({ TableName: this.table, Key: { PK: `GRP#${keyPart(groupKey)}`, SK: 'GRP' }, UpdateExpression: 'SET blocks = :b', ConditionExpression: 'attribute_exists(ts)', ExpressionAttributeValues: { ':b': blocks } }),
    ).catch((error: unknown) => {
      // The group ended (or never had a message): nothing to keep in sync.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    });
  }

  async reserveCounterUpdate(groupKey: string, now: number, minIntervalMs: number, maxWaitMs?: number): Promise<number | undefined> {
    const key = { PK: `GRP#${keyPart(groupKey)}`, SK: 'GRP' };
    for (let attempt = 0; attempt < 20; attempt++) {
      const group = (await this.db.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }))).Item;
      if (!group) return undefined;
      const last = typeof group['counterAt'] === 'number' ? group['counterAt'] : undefined;
      if (last !== undefined && last > now) return undefined;
      const at = nextCounterSlot(last, now, minIntervalMs, maxWaitMs);
      try {
        await this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: key,
            UpdateExpression: 'SET counterAt = :at',
            ConditionExpression: last === undefined ? 'attribute_exists(PK) AND attribute_not_exists(counterAt)' : 'counterAt = :last',
            ExpressionAttributeValues: { ':at': at, ...(last === undefined ? {} : { ':last': last }) },
          }),
        );
        return at;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    // Others kept taking the slot: one of them sends the latest count.
    return undefined;
  }

  async placeInStorm(channel: string, occurrence: StormOccurrence, settings: StormSettings): Promise<StormPlace> {
    return this.changeStorms(channel, occurrence.now, (state) => {
      const { next, place, changed } = placeInStorm(state, occurrence, settings);
      return { next: changed ? next : undefined, result: place };
    });
  }

  async setStormRoot(channel: string, startedAt: number, root: MessageRef, now: number): Promise<void> {
    await this.changeStorms(channel, now, (state) => ({ next: withStormRoot(state, startedAt, root, now), result: undefined }));
  }

  async setStormShown(channel: string, startedAt: number, shown: { key: string; count: number }[], now: number): Promise<void> {
    await this.changeStorms(channel, now, (state) => ({ next: withShown(state, startedAt, shown), result: undefined }));
  }

  async channelStorm(channel: string): Promise<Storm | undefined> {
    return (await this.readStorms(channel)).state.storm;
  }

  async reserveStormUpdate(channel: string, startedAt: number, now: number, minIntervalMs: number): Promise<number | undefined> {
    return this.changeStorms(channel, now, (state) => {
      const reserved = reserveUpdate(state, startedAt, now, minIntervalMs);
      return { next: reserved?.next, result: reserved?.at };
    });
  }

  private async readStorms(channel: string): Promise<{ state: ChannelStorms; exists: boolean }> {
    const item = (await this.db.send(new GetCommand({ TableName: this.table, Key: { PK: `STORM#${keyPart(channel)}`, SK: 'STORM' }, ConsistentRead: true }))).Item;
    return item ? { state: ChannelStormsSchema.parse(JSON.parse(String(item['state']))), exists: true } : { state: emptyChannelStorms(), exists: false };
  }

  /**
   * A step of store/storms.ts on the channel's record, written only if nobody wrote it since it was read (its version):
   * concurrent invocations take turns, each on the record as the last one left it.
   */
  private async changeStorms<T>(channel: string, now: number, step: (state: ChannelStorms) => { next: ChannelStorms | undefined; result: T }): Promise<T> {
    for (let attempt = 0; attempt < STORM_ATTEMPTS; attempt++) {
      const { state, exists } = await this.readStorms(channel);
      const { next, result } = step(state);
      if (!next) return result;
      try {
        await this.db.send(
          new PutCommand({
            TableName: this.table,
            Item: { PK: `STORM#${keyPart(channel)}`, SK: 'STORM', version: next.version, state: JSON.stringify(next), expiresAt: seconds(EXPIRES.storm(now)) },
            ConditionExpression: exists ? 'version = :v' : 'attribute_not_exists(PK)',
            ...(exists ? { ExpressionAttributeValues: { ':v': state.version } } : {}),
          }),
        );
        return result;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // Another invocation wrote first: a short, random pause, then the step again on what it wrote.
        await new Promise((r) => setTimeout(r, Math.random() * 20 * Math.min(attempt + 1, 5)));
      }
    }
    throw new Error(`changing the storm record of ${channel} kept conflicting; retry the invocation`);
  }

  async recordIncident(incident: Incident): Promise<void> {
    const sort = `${incident.occurredAt}#${keyPart(incident.incidentId)}`;
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          PK: `INC#${keyPart(incident.incidentId)}`,
          SK: 'INC',
          ...encodeIncident(incident),
          GSI1PK: `RECENT#${keyPart(incident.cluster)}`,
          GSI1SK: sort,
          GSI2PK: `RECENT#${keyPart(incident.cluster)}#${keyPart(incident.namespace)}`,
          GSI2SK: sort,
          expiresAt: seconds(EXPIRES.incident(Date.parse(incident.occurredAt) || Date.now())),
        },
      }),
    );
  }

  async incident(incidentId: string): Promise<Incident | undefined> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: { PK: `INC#${keyPart(incidentId)}`, SK: 'INC' }, ConsistentRead: true }));
    return res.Item ? decodeIncident(res.Item) : undefined;
  }

  async recentIncidents(cluster: string, { namespace, limit = 10, before }: RecentOptions = {}): Promise<Incident[]> {
    const [index, key] = namespace ? ['GSI2', `RECENT#${keyPart(cluster)}#${keyPart(namespace)}`] : ['GSI1', `RECENT#${keyPart(cluster)}`];
    // The index's sort key, as recordIncident writes it: a page after `before` starts below it.
    const below = before ? { KeyConditionExpression: '#pk = :pk AND #sk < :sk', ExpressionAttributeNames: { '#pk': `${index}PK`, '#sk': `${index}SK` }, ExpressionAttributeValues: { ':pk': key, ':sk': `${before.occurredAt}#${keyPart(before.incidentId)}` } } : undefined;
    const res = await this.db.send(
      new QueryCommand({ TableName: this.table, IndexName: index, KeyConditionExpression: '#pk = :pk', ExpressionAttributeNames: { '#pk': `${index}PK` }, ExpressionAttributeValues: { ':pk': key }, ...below, ScanIndexForward: false, Limit: limit }),
    );
    return (res.Items ?? []).map(decodeIncident);
  }

  async recordAudit(record: AuditRecord): Promise<void> {
    // Audit records do not expire: no expiresAt.
    await this.db.send(new PutCommand({ TableName: this.table, Item: { PK: `AUDIT#${keyPart(record.incidentId)}`, SK: `${record.at}#${keyPart(record.userId)}`, ...record } }));
  }

  async auditTrail(incidentId: string): Promise<AuditRecord[]> {
    const res = await this.db.send(new QueryCommand({ TableName: this.table, KeyConditionExpression: 'PK = :pk', ExpressionAttributeValues: { ':pk': `AUDIT#${keyPart(incidentId)}` }, ConsistentRead: true }));
    return (res.Items ?? []).map(({ incidentId: i, cluster, userId, action, target, before, after, at }) => ({ incidentId: i, cluster, userId, action, target, before, after, at }) as AuditRecord);
  }

  async muteUntil(key: string, now: number): Promise<number | undefined> {
    // TTL deletion lags by up to days: an expired mute still in the table is no mute.
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: { PK: `MUTE#${keyPart(key)}`, SK: 'MUTE' }, ConsistentRead: true }));
    const until = res.Item?.['until'] as number | undefined;
    return until !== undefined && until > now ? until : undefined;
  }

  async activeMute(key: string, now: number): Promise<Mute | undefined> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: { PK: `MUTE#${keyPart(key)}`, SK: 'MUTE' }, ConsistentRead: true }));
    const mute = MuteSchema.safeParse(res.Item);
    // Expired but not yet deleted by TTL is no mute, as in muteUntil.
    return mute.success && mute.data.until > now ? mute.data : undefined;
  }

  async mute(key: string, until: number, by: string, at?: number): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { PK: `MUTE#${keyPart(key)}`, SK: 'MUTE', until, by, ...(at !== undefined ? { at } : {}), expiresAt: seconds(EXPIRES.mute(until)) } }));
  }

  async unmute(key: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: { PK: `MUTE#${keyPart(key)}`, SK: 'MUTE' } }));
  }
}

function seconds(ms: number): number {
  return Math.ceil(ms / 1000);
}

function groupOf(item: Record<string, unknown> | undefined): RepeatGroup {
  const count = Number(item?.['count'] ?? 1);
  const firstAt = Number(item?.['firstAt'] ?? 0);
  const channel = item?.['channel'];
  const ts = item?.['ts'];
  const blocks = item?.['blocks'];
  const text = item?.['text'];
  const listed = item?.['listed'];
  if (typeof channel !== 'string' || typeof ts !== 'string') return { count, firstAt };
  const ids = Array.isArray(listed) ? listed.filter((id): id is string => typeof id === 'string') : [];
  return { count, firstAt, message: { channel, ts, ...(typeof blocks === 'string' && blocks ? { blocks } : {}), ...(typeof text === 'string' && text ? { text } : {}), ...(ids.length ? { listed: ids } : {}) } };
}

