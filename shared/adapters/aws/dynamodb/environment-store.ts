import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type EnvironmentRecord,
  type EnvironmentState,
  endpointSchema,
  environmentStateSchema,
  finalStates,
  isFinal,
  serviceUrlSchema,
  statesAllowedBefore,
  stopReasons,
} from '#domain/environment';
import { AlreadyExistsError, QuotaExceededError } from '#domain/errors';
import { type Clock, systemClock } from '#ports/clock';
import type {
  EnvironmentPage,
  EnvironmentPatch,
  EnvironmentQuery,
  EnvironmentStore,
  StateChange,
} from '#ports/environment-store';
import * as z from '#shared/zod';
import { cancellationCodes, queryAll, retryOnConflict } from './client.ts';
import {
  environmentKey,
  environmentListKeys,
  liveKeys,
  liveShardPks,
  liveSortKey,
  orgKey,
  workspaceEnvironmentsPk,
} from './keys.ts';

/** Records of finished environments stay readable this long, then DynamoDB's TTL deletes them. */
const FINISHED_RETENTION_SEC = 30 * 24 * 3600;

/**
 * {@link EnvironmentStore} on the one DynamoDB table.
 *
 * Every state write is conditional on the state machine (and on the ECS event version when one
 * is given), so retried and out-of-order events change nothing. The org's `runningCount` moves
 * only inside transactions with the environment item: +1 on create, -1 on entering a final
 * state, which can happen once per environment, so the quota is released exactly once.
 */
export class DynamoEnvironmentStore implements EnvironmentStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #clock: Clock;

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
  }

  async create(record: EnvironmentRecord, quota: { readonly limit: number }): Promise<void> {
    const org = new Expression();
    const count = org.name('runningCount');
    const [zero, one, limit] = [org.value(0), org.value(1), org.value(quota.limit)];
    org.set('runningCount', `if_not_exists(${count}, ${zero}) + ${one}`);
    // A missing counter is zero: below any positive limit, but not below a limit of 0.
    const condition = `(attribute_not_exists(${count}) AND ${zero} < ${limit}) OR ${count} < ${limit}`;
    try {
      await retryOnConflict(() =>
        this.#client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.#tableName,
                  Item: toItem(record),
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              {
                Update: {
                  TableName: this.#tableName,
                  Key: orgKey(record.org),
                  ...org.update(),
                  ConditionExpression: condition,
                },
              },
            ],
          }),
        ),
      );
    } catch (error) {
      const codes = cancellationCodes(error);
      if (codes?.[0] === 'ConditionalCheckFailed') {
        throw new AlreadyExistsError(`Environment '${record.id}' already exists`, { cause: error });
      }
      if (codes?.[1] === 'ConditionalCheckFailed') {
        throw new QuotaExceededError(record.org, quota.limit, { cause: error });
      }
      throw error;
    }
  }

  async get(id: string): Promise<EnvironmentRecord | null> {
    const { Item } = await this.#client.send(
      new GetCommand({ TableName: this.#tableName, Key: environmentKey(id), ConsistentRead: true }),
    );
    return Item === undefined ? null : fromItem(Item);
  }

  async list(query: EnvironmentQuery): Promise<EnvironmentPage> {
    const expression = new Expression();
    const filters: string[] = [];
    if (query.states !== undefined && query.states.length > 0) {
      filters.push(
        `${expression.name('state')} IN (${query.states.map((s) => expression.value(s)).join(', ')})`,
      );
    }
    if (query.projectId !== undefined) {
      filters.push(`${expression.name('projectId')} = ${expression.value(query.projectId)}`);
    }
    const keyCondition = `${expression.name('gsi1pk')} = ${expression.value(workspaceEnvironmentsPk(query.org, query.workspace))}`;
    // The total needs every match anyway, and a workspace's retained environments are bounded by
    // the TTL, so read the whole partition and cut the page out of it.
    const items = await queryAll(this.#client, {
      TableName: this.#tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: keyCondition,
      ...(filters.length > 0 ? { FilterExpression: filters.join(' AND ') } : {}),
      ...expression.attributes(),
      ScanIndexForward: false,
    });
    const start = (query.page - 1) * query.limit;
    return { items: items.slice(start, start + query.limit).map(fromItem), total: items.length };
  }

  async transition(id: string, change: StateChange): Promise<EnvironmentRecord | null> {
    const allowedBefore = statesAllowedBefore(change.to);
    if (allowedBefore.length === 0) return null;
    return isFinal(change.to)
      ? this.#finalise(id, change, allowedBefore)
      : this.#advance(id, change, allowedBefore);
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

  /** A move between live states touches only the environment: one UpdateItem. */
  async #advance(
    id: string,
    change: StateChange,
    allowedBefore: readonly EnvironmentState[],
  ): Promise<EnvironmentRecord | null> {
    const expression = stateChange(change, allowedBefore, this.#clock.now());
    applyPatch(expression, id, change.set ?? {}, { live: true });
    return this.#conditionalUpdate(id, expression, expression.conditions);
  }

  /**
   * Entering a final state also releases the org's quota unit, in the same transaction. The org
   * is needed for that key, so the environment is read first; that read also answers stale or
   * duplicate events without a write. The transaction re-checks the same conditions, so a race
   * between two finalisations still lets exactly one through.
   *
   * A transaction returns no item, so the winner reads the record back (consistently). That read
   * is exact: a final record never changes again (every later write is conditional on a live
   * state), so it shows precisely what this transaction wrote.
   */
  async #finalise(
    id: string,
    change: StateChange,
    allowedBefore: readonly EnvironmentState[],
  ): Promise<EnvironmentRecord | null> {
    const current = await this.get(id);
    if (
      current === null ||
      !allowedBefore.includes(current.state) ||
      (change.eventVersion !== undefined && current.eventVersion >= change.eventVersion)
    ) {
      return null;
    }
    const now = this.#clock.now();
    const expression = stateChange(change, allowedBefore, now);
    applyPatch(expression, id, change.set ?? {}, { live: false });
    expression.remove('gsi3pk');
    expression.remove('gsi3sk');
    expression.set('ttl', expression.value(Math.floor(now.getTime() / 1000) + FINISHED_RETENTION_SEC));
    const org = new Expression();
    // Every create writes the counter, so it exists; should it ever be missing, land on 0
    // rather than fail the write, because a finalisation that cannot commit loses an environment.
    const one = org.value(1);
    org.set('runningCount', `if_not_exists(${org.name('runningCount')}, ${one}) - ${one}`);
    try {
      await retryOnConflict(() =>
        this.#client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: this.#tableName,
                  Key: environmentKey(id),
                  ...expression.update(),
                  ConditionExpression: expression.conditions.join(' AND '),
                },
              },
              { Update: { TableName: this.#tableName, Key: orgKey(current.org), ...org.update() } },
            ],
          }),
        ),
      );
    } catch (error) {
      if (cancellationCodes(error)?.[0] === 'ConditionalCheckFailed') return null;
      throw error;
    }
    const finished = await this.get(id);
    if (finished === null) throw new Error(`Environment '${id}' vanished right after it was finalised`);
    return finished;
  }

  async #conditionalUpdate(
    id: string,
    expression: Expression,
    conditions: readonly string[],
  ): Promise<EnvironmentRecord | null> {
    try {
      const { Attributes } = await retryOnConflict(() =>
        this.#client.send(
          new UpdateCommand({
            TableName: this.#tableName,
            Key: environmentKey(id),
            ...expression.update(),
            ConditionExpression: conditions.join(' AND '),
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      return Attributes === undefined ? null : fromItem(Attributes);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return null;
      throw error;
    }
  }
}

/**
 * Collects the names, values, SET/REMOVE clauses and conditions of one update. Every attribute
 * goes through a placeholder, so reserved words (`state`, `ttl`) need no special care.
 */
class Expression {
  readonly conditions: string[] = [];
  readonly #names: Record<string, string> = {};
  readonly #values: Record<string, unknown> = {};
  readonly #sets: string[] = [];
  readonly #removes: string[] = [];

  name(attribute: string): string {
    const placeholder = `#${attribute}`;
    this.#names[placeholder] = attribute;
    return placeholder;
  }

  value(value: unknown): string {
    const placeholder = `:v${Object.keys(this.#values).length}`;
    this.#values[placeholder] = value;
    return placeholder;
  }

  /** `SET attribute = <operand>`; the operand is a placeholder or an expression built from them. */
  set(attribute: string, operand: string): void {
    this.#sets.push(`${this.name(attribute)} = ${operand}`);
  }

  remove(attribute: string): void {
    this.#removes.push(this.name(attribute));
  }

  /** Absent keys are left alone; `null` removes the attribute (nulls are never stored). */
  patch(attribute: string, value: unknown): void {
    if (value === undefined) return;
    if (value === null) this.remove(attribute);
    else this.set(attribute, this.value(value));
  }

  attributes(): {
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Record<string, unknown>;
  } {
    // DynamoDB rejects empty maps, so leave them out entirely.
    return {
      ...(Object.keys(this.#names).length > 0 ? { ExpressionAttributeNames: { ...this.#names } } : {}),
      ...(Object.keys(this.#values).length > 0 ? { ExpressionAttributeValues: { ...this.#values } } : {}),
    };
  }

  update(): {
    UpdateExpression: string;
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Record<string, unknown>;
  } {
    const clauses = [
      this.#sets.length > 0 ? `SET ${this.#sets.join(', ')}` : '',
      this.#removes.length > 0 ? `REMOVE ${this.#removes.join(', ')}` : '',
    ];
    return { UpdateExpression: clauses.filter((c) => c !== '').join(' '), ...this.attributes() };
  }
}

/** Records the event's version and, as the condition it returns, demands that it be newer. */
const newerEvent = (expression: Expression, eventVersion: number): string => {
  const version = expression.value(eventVersion);
  expression.set('eventVersion', version);
  return `${expression.name('eventVersion')} < ${version}`;
};

/** The state write and its conditions, shared by both kinds of transition. */
const stateChange = (
  change: StateChange,
  allowedBefore: readonly EnvironmentState[],
  now: Date,
): Expression => {
  const expression = new Expression();
  expression.set('state', expression.value(change.to));
  expression.set('updatedAt', expression.value(now.toISOString()));
  expression.conditions.push(
    `${expression.name('state')} IN (${allowedBefore.map((s) => expression.value(s)).join(', ')})`,
  );
  if (change.eventVersion !== undefined) {
    expression.conditions.push(newerEvent(expression, change.eventVersion));
  }
  return expression;
};

/** Only the fields the patch type names are written; anything else on the object is ignored. */
const applyPatch = (
  expression: Expression,
  id: string,
  patch: EnvironmentPatch,
  { live }: { live: boolean },
) => {
  expression.patch('taskArn', patch.taskArn);
  expression.patch('expiresAt', patch.expiresAt);
  expression.patch('serviceUrls', patch.serviceUrls);
  expression.patch('instruction', patch.instruction);
  expression.patch('instructionTemplate', patch.instructionTemplate);
  expression.patch('error', patch.error);
  expression.patch('stopReason', patch.stopReason);
  expression.patch('launchAttempts', patch.launchAttempts);
  // The reconciler reads live environments in expiry order, so the index key follows expiresAt.
  if (live && patch.expiresAt !== undefined) {
    expression.set('gsi3sk', expression.value(liveSortKey(id, patch.expiresAt)));
  }
};

const toItem = (record: EnvironmentRecord): Record<string, unknown> => ({
  ...environmentKey(record.id),
  ...environmentListKeys(record),
  ...(isFinal(record.state) ? {} : liveKeys(record.id, record.expiresAt)),
  id: record.id,
  org: record.org,
  workspace: record.workspace,
  projectId: record.projectId,
  taskRef: record.taskRef,
  state: record.state,
  eventVersion: record.eventVersion,
  taskArn: record.taskArn ?? undefined,
  createdAt: record.createdAt,
  updatedAt: record.updatedAt,
  expiresAt: record.expiresAt ?? undefined,
  timeoutSec: record.timeoutSec,
  inputs: record.inputs,
  secretIds: record.secretIds,
  endpoints: record.endpoints,
  instructionTemplate: record.instructionTemplate ?? undefined,
  instruction: record.instruction ?? undefined,
  serviceUrls: record.serviceUrls ?? undefined,
  executeTokenHash: record.executeTokenHash,
  taskVerification: record.taskVerification ?? undefined,
  error: record.error ?? undefined,
  stopReason: record.stopReason ?? undefined,
  launchAttempts: record.launchAttempts,
});

const itemSchema = z.object({
  id: z.string(),
  org: z.string(),
  workspace: z.string(),
  projectId: z.string(),
  taskRef: z.string(),
  state: environmentStateSchema,
  eventVersion: z.number(),
  taskArn: z.nullish(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
  expiresAt: z.nullish(z.string()),
  timeoutSec: z.number(),
  inputs: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  secretIds: z.array(z.string()),
  endpoints: z.array(endpointSchema),
  instructionTemplate: z.nullish(z.string()),
  instruction: z.nullish(z.string()),
  serviceUrls: z.nullish(z.record(z.string(), serviceUrlSchema)),
  executeTokenHash: z.string(),
  taskVerification: z.nullish(z.record(z.string(), z.unknown())),
  error: z.nullish(z.string()),
  stopReason: z.nullish(z.enum(stopReasons)),
  launchAttempts: z.number(),
});

const fromItem = (item: Record<string, unknown>): EnvironmentRecord => {
  const parsed = itemSchema.parse(item);
  return {
    ...parsed,
    taskArn: parsed.taskArn ?? null,
    expiresAt: parsed.expiresAt ?? null,
    instructionTemplate: parsed.instructionTemplate ?? null,
    instruction: parsed.instruction ?? null,
    serviceUrls: parsed.serviceUrls ?? null,
    taskVerification: parsed.taskVerification ?? null,
    error: parsed.error ?? null,
    stopReason: parsed.stopReason ?? null,
  };
};
