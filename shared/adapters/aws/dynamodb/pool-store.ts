import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { EnvironmentRecord } from '#domain/environment';
import { AlreadyExistsError, QuotaExceededError } from '#domain/errors';
import type { PoolRecord, SlotRecord } from '#domain/pool';
import type { ClaimOutcome, PoolStore, SlotChange, SlotKey } from '#ports/pool-store';
import { cancellationCodes, queryAll, retryOnConflict } from './client.ts';
import { environmentItem } from './environment-item.ts';
import { counterUpdates } from './environment-listing.ts';
import {
  ALL_POOLS_PK,
  allPoolsKeys,
  endedSlotKey,
  orgKey,
  orgPoolsPk,
  poolKey,
  poolSlotsPk,
  SLOT_PREFIX,
  slotIdKeys,
  slotKey,
} from './keys.ts';
import { endedSlotItem, poolFromItem, slotFromItem, waitingSlotItem } from './pool-items.ts';

/**
 * {@link PoolStore} on the one table. Pools live in their org's partition (and in gsi3 under
 * `POOLS`, for the keeper); waiting slots in their pool's partition (and in gsi2 by id, for the
 * event path); a slot that is claimed or retired moves, in the same transaction, to its own
 * item `SLOT#<id>`. Every slot write is conditional on its state, so two writers never both
 * move a slot.
 */
export class DynamoPoolStore implements PoolStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor({ client, tableName }: { client: DynamoDBDocumentClient; tableName: string }) {
    this.#client = client;
    this.#tableName = tableName;
  }

  async putPool(
    pool: Omit<PoolRecord, 'claimedTotal' | 'createdAt' | 'updatedAt'>,
    now: Date,
  ): Promise<PoolRecord> {
    const { Attributes } = await this.#client.send(
      new UpdateCommand({
        TableName: this.#tableName,
        Key: poolKey(pool.org, pool.name),
        UpdateExpression:
          'SET #org = :org, #name = :name, taskRef = :taskRef, #size = :size, updatedAt = :now, ' +
          'createdAt = if_not_exists(createdAt, :now), claimedTotal = if_not_exists(claimedTotal, :zero), ' +
          'gsi3pk = :gsi3pk, gsi3sk = :gsi3sk',
        ExpressionAttributeNames: { '#org': 'org', '#name': 'name', '#size': 'size' },
        ExpressionAttributeValues: {
          ':org': pool.org,
          ':name': pool.name,
          ':taskRef': pool.taskRef,
          ':size': pool.size,
          ':now': now.toISOString(),
          ':zero': 0,
          ...Object.fromEntries(
            Object.entries(allPoolsKeys(pool.org, pool.name)).map(([k, v]) => [`:${k}`, v]),
          ),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return poolFromItem(Attributes ?? {});
  }

  async getPool(org: string, name: string): Promise<PoolRecord | null> {
    const { Item } = await this.#client.send(
      new GetCommand({ TableName: this.#tableName, Key: poolKey(org, name), ConsistentRead: true }),
    );
    return Item === undefined ? null : poolFromItem(Item);
  }

  async listPools(org: string): Promise<PoolRecord[]> {
    const items = await queryAll(this.#client, {
      TableName: this.#tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': orgPoolsPk(org) },
      ConsistentRead: true,
    });
    return items.map(poolFromItem);
  }

  async listAllPools(): Promise<PoolRecord[]> {
    const items = await queryAll(this.#client, {
      TableName: this.#tableName,
      IndexName: 'gsi3',
      KeyConditionExpression: 'gsi3pk = :pk',
      ExpressionAttributeValues: { ':pk': ALL_POOLS_PK },
    });
    return items.map(poolFromItem);
  }

  async deletePool(org: string, name: string): Promise<void> {
    await this.#client.send(new DeleteCommand({ TableName: this.#tableName, Key: poolKey(org, name) }));
  }

  async createSlot(slot: SlotRecord): Promise<void> {
    await this.#client.send(
      new PutCommand({
        TableName: this.#tableName,
        Item: waitingSlotItem(slot),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async listSlots(org: string, pool: string): Promise<SlotRecord[]> {
    const items = await queryAll(this.#client, {
      TableName: this.#tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :slot)',
      ExpressionAttributeValues: { ':pk': poolSlotsPk(org, pool), ':slot': SLOT_PREFIX },
      ConsistentRead: true,
    });
    return items.map(slotFromItem);
  }

  async findSlot(id: string): Promise<SlotRecord | null> {
    const ended = await this.#getEnded(id);
    if (ended !== null) return ended;
    // A waiting slot: the index names its key; the item itself is then read consistently.
    const [hit] = await queryAll(this.#client, {
      TableName: this.#tableName,
      IndexName: 'gsi2',
      KeyConditionExpression: 'gsi2pk = :pk',
      ExpressionAttributeValues: { ':pk': slotIdKeys(id).gsi2pk },
    });
    if (hit === undefined) return null;
    const found = slotFromItem(hit);
    const { Item } = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: slotKey(found.org, found.pool, id),
        ConsistentRead: true,
      }),
    );
    // Gone since the index was read: it was claimed or retired in between.
    return Item === undefined ? this.#getEnded(id) : slotFromItem(Item);
  }

  async moveSlot(key: SlotKey, change: SlotChange): Promise<SlotRecord | null> {
    const now = new Date().toISOString();
    const set = change.set ?? {};
    if (change.to === 'starting' || change.to === 'warm') {
      const sets = ['#state = :to', 'updatedAt = :now'];
      const values: Record<string, unknown> = { ':to': change.to, ':now': now };
      const conditions = ['attribute_exists(pk)', stateIn(change.from, values)];
      if (change.eventVersion !== undefined) {
        sets.push('eventVersion = :version');
        values[':version'] = change.eventVersion;
        conditions.push('eventVersion < :version');
      }
      if (set.taskArn !== undefined) {
        sets.push('taskArn = :taskArn');
        values[':taskArn'] = set.taskArn;
      }
      if (set.serviceUrls !== undefined && set.serviceUrls !== null) {
        sets.push('serviceUrls = :urls');
        values[':urls'] = set.serviceUrls;
      }
      return this.#conditionalUpdate(key, {
        UpdateExpression: `SET ${sets.join(', ')}`,
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: values,
        ConditionExpression: conditions.join(' AND '),
      });
    }
    // Leaving the pool: the waiting item goes, the ended one is put, in one transaction,
    // conditional on the item being exactly as read (and in an allowed state, the event newer).
    const { Item } = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: slotKey(key.org, key.pool, key.id),
        ConsistentRead: true,
      }),
    );
    if (Item === undefined) return null;
    const current = slotFromItem(Item);
    if (
      !change.from.includes(current.state) ||
      (change.eventVersion !== undefined && current.eventVersion >= change.eventVersion)
    ) {
      return null;
    }
    const ended: SlotRecord = {
      ...current,
      state: change.to,
      updatedAt: now,
      eventVersion: change.eventVersion ?? current.eventVersion,
      ...(set.taskArn === undefined ? {} : { taskArn: set.taskArn }),
      ...(set.serviceUrls === undefined ? {} : { serviceUrls: set.serviceUrls }),
      ...(set.retiredReason === undefined ? {} : { retiredReason: set.retiredReason }),
    };
    try {
      await retryOnConflict(() =>
        this.#client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Delete: {
                  TableName: this.#tableName,
                  Key: slotKey(key.org, key.pool, key.id),
                  ConditionExpression: 'updatedAt = :read AND eventVersion = :version',
                  ExpressionAttributeValues: { ':read': current.updatedAt, ':version': current.eventVersion },
                },
              },
              {
                Put: {
                  TableName: this.#tableName,
                  Item: endedSlotItem(ended),
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
            ],
          }),
        ),
      );
      return ended;
    } catch (error) {
      if (cancellationCodes(error)?.includes('ConditionalCheckFailed')) return null;
      throw error;
    }
  }

  async updateSlot(
    key: SlotKey,
    set: { readonly taskArn?: string },
    options: { readonly eventVersion?: number } = {},
  ): Promise<SlotRecord | null> {
    const sets = ['updatedAt = :now'];
    const values: Record<string, unknown> = { ':now': new Date().toISOString() };
    const conditions = ['attribute_exists(pk)'];
    if (set.taskArn !== undefined) {
      sets.push('taskArn = :taskArn');
      values[':taskArn'] = set.taskArn;
    }
    if (options.eventVersion !== undefined) {
      sets.push('eventVersion = :version');
      values[':version'] = options.eventVersion;
      conditions.push('eventVersion < :version');
    }
    return this.#conditionalUpdate(key, {
      UpdateExpression: `SET ${sets.join(', ')}`,
      ExpressionAttributeValues: values,
      ConditionExpression: conditions.join(' AND '),
    });
  }

  async claim(
    slot: SlotRecord,
    environment: EnvironmentRecord,
    quota: { readonly limit: number },
  ): Promise<ClaimOutcome> {
    const now = new Date().toISOString();
    const claimed: SlotRecord = { ...slot, state: 'claimed', environmentId: environment.id, updatedAt: now };
    try {
      await retryOnConflict(() =>
        this.#client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Delete: {
                  TableName: this.#tableName,
                  Key: slotKey(slot.org, slot.pool, slot.id),
                  // Still warm and unchanged since it was read: the environment takes over its
                  // task, version and URLs.
                  ConditionExpression: '#state = :warm AND eventVersion = :version AND taskArn = :taskArn',
                  ExpressionAttributeNames: { '#state': 'state' },
                  ExpressionAttributeValues: {
                    ':warm': 'warm',
                    ':version': slot.eventVersion,
                    ':taskArn': slot.taskArn,
                  },
                },
              },
              {
                Put: {
                  TableName: this.#tableName,
                  Item: endedSlotItem(claimed),
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              {
                Put: {
                  TableName: this.#tableName,
                  Item: environmentItem(environment),
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              {
                Update: {
                  TableName: this.#tableName,
                  Key: orgKey(environment.org),
                  UpdateExpression: 'SET runningCount = if_not_exists(runningCount, :zero) + :one',
                  // A missing counter is zero: below any positive limit, but not below a limit of 0.
                  ConditionExpression:
                    '(attribute_not_exists(runningCount) AND :zero < :limit) OR runningCount < :limit',
                  ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':limit': quota.limit },
                },
              },
              {
                Update: {
                  TableName: this.#tableName,
                  Key: poolKey(slot.org, slot.pool),
                  UpdateExpression: 'SET claimedTotal = if_not_exists(claimedTotal, :zero) + :one',
                  ConditionExpression: 'attribute_exists(pk)',
                  ExpressionAttributeValues: { ':zero': 0, ':one': 1 },
                },
              },
              // The list counters: the environment enters its state (ready) here.
              ...counterUpdates(this.#tableName, environment, { to: environment.state }),
            ],
          }),
        ),
      );
      return 'claimed';
    } catch (error) {
      const codes = cancellationCodes(error);
      if (codes === null) throw error;
      if (codes[2] === 'ConditionalCheckFailed') {
        throw new AlreadyExistsError(`Environment '${environment.id}' already exists`, { cause: error });
      }
      if (codes[3] === 'ConditionalCheckFailed') {
        throw new QuotaExceededError(environment.org, quota.limit, { cause: error });
      }
      if (codes.includes('ConditionalCheckFailed')) return 'taken';
      throw error;
    }
  }

  async #getEnded(id: string): Promise<SlotRecord | null> {
    const { Item } = await this.#client.send(
      new GetCommand({ TableName: this.#tableName, Key: endedSlotKey(id), ConsistentRead: true }),
    );
    return Item === undefined ? null : slotFromItem(Item);
  }

  async #conditionalUpdate(
    key: SlotKey,
    update: {
      UpdateExpression: string;
      ExpressionAttributeNames?: Record<string, string>;
      ExpressionAttributeValues: Record<string, unknown>;
      ConditionExpression: string;
    },
  ): Promise<SlotRecord | null> {
    try {
      const { Attributes } = await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: slotKey(key.org, key.pool, key.id),
          ...update,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes === undefined ? null : slotFromItem(Attributes);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return null;
      throw error;
    }
  }
}

/** `#state IN (:from0, …)`, its values added to `values`. */
const stateIn = (states: readonly string[], values: Record<string, unknown>): string => {
  states.forEach((state, i) => {
    values[`:from${i}`] = state;
  });
  return `#state IN (${states.map((_, i) => `:from${i}`).join(', ')})`;
};
