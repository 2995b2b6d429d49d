import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  type EnvironmentRecord,
  type EnvironmentState,
  finalStates,
  isFinal,
  statesAllowedBefore,
} from '#domain/environment';
import { AlreadyExistsError, QuotaExceededError } from '#domain/errors';
import { type Clock, systemClock } from '#ports/clock';
import type {
  EnvironmentPage,
  EnvironmentPatch,
  EnvironmentQuery,
  EnvironmentStore,
  EventVersionOutcome,
  EventVersionWrite,
  StateChange,
  TransitionOptions,
} from '#ports/environment-store';
import { cancellationCodes, queryAll, retryOnConflict } from './client.ts';
import { applyPatch, newerEvent, patchFields, stateChange } from './environment-expressions.ts';
import { fromItem, fromSummaryItem, toItem } from './environment-item.ts';
import { counterUpdates, EnvironmentListing } from './environment-listing.ts';
import { environmentFilterKeys, environmentKey, homeQuotaShard, liveShardPks } from './keys.ts';
import { releaseUnit, shardOfItem, shardsToTry, takeUnit } from './org-quota.ts';
import { Expression } from './update-expression.ts';

/** Records of finished environments stay readable this long, then DynamoDB's TTL deletes them. */
const FINISHED_RETENTION_SEC = 30 * 24 * 3600;

/** Answer of a move from the caller's record when the stored one no longer matches it. */
const OUT_OF_DATE = Symbol('out of date');

/** Fresh reads a transition tries before giving up on an environment that keeps changing. */
const MAX_MOVE_ATTEMPTS = 5;

/**
 * {@link EnvironmentStore} on the one DynamoDB table.
 *
 * Every state write is conditional on the state machine (and on the ECS event version when one
 * is given), so retried and out-of-order events change nothing. The org's quota (`org-quota.ts`) moves
 * only inside transactions with the environment item: +1 on create, -1 on entering a final
 * state, which can happen once per environment, so the quota is released exactly once.
 */
export class DynamoEnvironmentStore implements EnvironmentStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #clock: Clock;
  readonly #listing: EnvironmentListing;

  constructor({
    client,
    tableName,
    clock = systemClock,
  }: {
    client: DynamoDBDocumentClient;
    tableName: string;
    clock?: Clock;
  }) {
    this.#client = client;
    this.#tableName = tableName;
    this.#clock = clock;
    this.#listing = new EnvironmentListing({ client, tableName });
  }

  async create(record: EnvironmentRecord, quota: { readonly limit: number }): Promise<void> {
    for (const shard of shardsToTry(record.id, quota.limit)) {
      try {
        await retryOnConflict(() =>
          this.#client.send(
            new TransactWriteCommand({
              TransactItems: [
                {
                  Put: {
                    TableName: this.#tableName,
                    Item: { ...toItem(record), quotaShard: shard },
                    ConditionExpression: 'attribute_not_exists(pk)',
                  },
                },
                takeUnit(this.#tableName, record.org, shard, quota.limit),
                ...counterUpdates(this.#tableName, record, { to: record.state }),
              ],
            }),
          ),
        );
        return;
      } catch (error) {
        const codes = cancellationCodes(error);
        if (codes?.[0] === 'ConditionalCheckFailed') {
          throw new AlreadyExistsError(`Environment '${record.id}' already exists`, { cause: error });
        }
        // This shard holds its whole share: the next one may not.
        if (codes?.[1] !== 'ConditionalCheckFailed') throw error;
      }
    }
    throw new QuotaExceededError(record.org, quota.limit);
  }

  async get(id: string): Promise<EnvironmentRecord | null> {
    return (await this.#read(id))?.record ?? null;
  }

  /** The record and the quota shard holding its unit. */
  async #read(id: string): Promise<{ record: EnvironmentRecord; shard: number | null } | null> {
    const { Item } = await this.#client.send(
      new GetCommand({ TableName: this.#tableName, Key: environmentKey(id), ConsistentRead: true }),
    );
    return Item === undefined ? null : { record: fromItem(Item), shard: shardOfItem(Item) };
  }

  async list(query: EnvironmentQuery): Promise<EnvironmentPage> {
    const { items, total } = await this.#listing.page(query);
    return { items: items.map(fromSummaryItem), total };
  }

  /**
   * Every move is one transaction: the environment (conditional on the state it is read in) and
   * the list counters (-1 on that state, +1 on the new one); entering a final state also
   * releases the org's quota unit. The state left must be known for the counters, so the move
   * starts from the record the caller read (`expected`) or from a fresh read; see {@link #move}.
   */
  async transition(
    id: string,
    change: StateChange,
    options: TransitionOptions = {},
  ): Promise<EnvironmentRecord | null> {
    const allowedBefore = statesAllowedBefore(change.to);
    if (allowedBefore.length === 0) return null;
    const { expected } = options;
    if (expected !== undefined && expected.id !== id) {
      throw new Error(`Expected record of '${expected.id}' given for environment '${id}'`);
    }
    const applies = (record: EnvironmentRecord | null): record is EnvironmentRecord =>
      record !== null &&
      allowedBefore.includes(record.state) &&
      (change.eventVersion === undefined ||
        (change.orSameVersion === true
          ? record.eventVersion <= change.eventVersion
          : record.eventVersion < change.eventVersion));
    // Without a read, the quota shard is the one a create tries first (almost always the one it
    // took); a wrong guess fails the move's condition, and the fresh read then tells.
    let read =
      expected === undefined ? await this.#read(id) : { record: expected, shard: homeQuotaShard(id) };
    let fresh = expected === undefined;
    for (let attempt = 0; attempt < MAX_MOVE_ATTEMPTS; attempt++) {
      const current = read?.record ?? null;
      if (!applies(current)) {
        // A stale `expected` decides nothing: only a fresh read may answer "no change".
        if (fresh) return null;
      } else {
        const moved = await this.#move(current, read?.shard ?? null, change);
        if (moved !== OUT_OF_DATE) return moved;
      }
      read = await this.#read(id);
      fresh = true;
    }
    throw new Error(`Environment '${id}' kept changing during ${MAX_MOVE_ATTEMPTS} attempts to move it`);
  }

  async update(
    id: string,
    set: EnvironmentPatch,
    options: { readonly eventVersion?: number } = {},
  ): Promise<EnvironmentRecord | null> {
    const expression = new Expression();
    expression.set('updatedAt', expression.value(this.#clock.now().toISOString()));
    applyPatch(expression, id, set, { live: true });
    const conditions = [
      'attribute_exists(pk)',
      `NOT (${expression.name('state')} IN (${finalStates.map((s) => expression.value(s)).join(', ')}))`,
    ];
    if (options.eventVersion !== undefined) {
      conditions.push(newerEvent(expression, options.eventVersion));
    }
    const outcome = await this.#conditionalUpdate(id, expression, conditions);
    return outcome.written ? outcome.record : null;
  }

  async recordEvent(id: string, event: EventVersionWrite): Promise<EventVersionOutcome> {
    const expression = new Expression();
    expression.set('updatedAt', expression.value(this.#clock.now().toISOString()));
    const state = expression.name('state');
    const conditions = [
      'attribute_exists(pk)',
      `${expression.name('taskArn')} = ${expression.value(event.taskArn)}`,
      `${state} IN (${event.states.map((s) => expression.value(s)).join(', ')})`,
      newerEvent(expression, event.eventVersion),
    ];
    if (event.readinessUnlessReady === true) {
      conditions.push(
        `(${state} = ${expression.value('ready')} OR attribute_exists(${expression.name('readiness')}))`,
      );
    }
    return this.#conditionalUpdate(id, expression, conditions);
  }

  async listLive(): Promise<EnvironmentRecord[]> {
    const shards = await Promise.all(
      liveShardPks.map((pk) =>
        queryAll(this.#client, {
          TableName: this.#tableName,
          IndexName: 'gsi3',
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': 'gsi3pk' },
          ExpressionAttributeValues: { ':pk': pk },
        }),
      ),
    );
    return shards.flat().map(fromItem);
  }

  /**
   * Moves `current` (as read) to `change.to`, conditional on the item still holding `current`'s
   * state, org and every field a write after creation can change and this one does not
   * overwrite; so the returned record (`current` with this write applied) is exactly what is
   * stored, and the counters move from the right state. {@link OUT_OF_DATE} when the item no
   * longer matches (nothing written): the caller reads again and decides afresh.
   */
  async #move(
    current: EnvironmentRecord,
    shard: number | null,
    change: StateChange,
  ): Promise<EnvironmentRecord | typeof OUT_OF_DATE> {
    const now = this.#clock.now();
    const final = isFinal(change.to);
    const expression = final
      ? this.#finalExpression(current.id, change, [current.state], now)
      : stateChange(change, [current.state], now);
    if (!final) applyPatch(expression, current.id, change.set ?? {}, { live: true });
    const filterKeys = environmentFilterKeys({ ...current, state: change.to });
    expression.set('gsi4pk', expression.value(filterKeys.gsi4pk));
    expression.set('gsi5pk', expression.value(filterKeys.gsi5pk));
    const set = change.set ?? {};
    expression.conditions.push(`${expression.name('org')} = ${expression.value(current.org)}`);
    const unchanged: (keyof EnvironmentRecord)[] = Object.values(patchFields).filter(
      (field) => set[field] === undefined,
    );
    if (change.eventVersion === undefined) unchanged.push('eventVersion');
    for (const field of unchanged) {
      const value = current[field];
      expression.conditions.push(
        value === null
          ? `attribute_not_exists(${expression.name(field)})`
          : `${expression.name(field)} = ${expression.value(value)}`,
      );
    }
    if (final) {
      // The unit goes back to the shard that holds it, so the move must know the right one.
      expression.conditions.push(
        shard === null
          ? `attribute_not_exists(${expression.name('quotaShard')})`
          : `${expression.name('quotaShard')} = ${expression.value(shard)}`,
      );
    }
    if (!(await this.#commitMove(current, shard, change.to, expression))) return OUT_OF_DATE;

    const item: Record<string, unknown> = {
      ...toItem(current),
      state: change.to,
      previousState: current.state,
      updatedAt: now.toISOString(),
      ...(change.eventVersion === undefined ? {} : { eventVersion: change.eventVersion }),
    };
    for (const field of Object.values(patchFields)) {
      const value = set[field];
      if (value === null) delete item[field];
      else if (value !== undefined) item[field] = value;
    }
    return fromItem(item);
  }

  /** The environment's half of a finalisation: state, patch, ttl, out of the live index. */
  #finalExpression(
    id: string,
    change: StateChange,
    allowedBefore: readonly EnvironmentState[],
    now: Date,
  ): Expression {
    const expression = stateChange(change, allowedBefore, now);
    applyPatch(expression, id, change.set ?? {}, { live: false });
    expression.remove('gsi3pk');
    expression.remove('gsi3sk');
    expression.set('ttl', expression.value(Math.floor(now.getTime() / 1000) + FINISHED_RETENTION_SEC));
    return expression;
  }

  /**
   * The move's transaction: `expression` on the environment under its conditions, the list
   * counters, and on entering a final state the org's quota unit back. False when the
   * environment's condition failed (nothing written).
   */
  async #commitMove(
    current: EnvironmentRecord,
    shard: number | null,
    to: EnvironmentState,
    expression: Expression,
  ): Promise<boolean> {
    try {
      await retryOnConflict(() =>
        this.#client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: this.#tableName,
                  Key: environmentKey(current.id),
                  ...expression.update(),
                  ConditionExpression: expression.conditions.join(' AND '),
                },
              },
              ...counterUpdates(this.#tableName, current, { from: current.state, to }),
              ...(isFinal(to) ? [releaseUnit(this.#tableName, current.org, shard)] : []),
            ],
          }),
        ),
      );
      return true;
    } catch (error) {
      if (cancellationCodes(error)?.[0] === 'ConditionalCheckFailed') return false;
      throw error;
    }
  }

  /** One conditional UpdateItem; a refusal answers the item it was tested on (no read). */
  async #conditionalUpdate(
    id: string,
    expression: Expression,
    conditions: readonly string[],
  ): Promise<EventVersionOutcome> {
    try {
      const { Attributes } = await retryOnConflict(() =>
        this.#client.send(
          new UpdateCommand({
            TableName: this.#tableName,
            Key: environmentKey(id),
            ...expression.update(),
            ConditionExpression: conditions.join(' AND '),
            ReturnValues: 'ALL_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      if (Attributes === undefined) throw new Error(`No attributes returned for environment '${id}'`);
      return { written: true, record: fromItem(Attributes) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // The document client leaves the exception's item in attribute values.
      return { written: false, current: error.Item === undefined ? null : fromItem(unmarshall(error.Item)) };
    }
  }
}
