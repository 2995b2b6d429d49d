import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { TooManyExecutionsError } from '#domain/errors';
import {
  EXECUTION_RETENTION_SEC,
  type ExecutionOutcome,
  type ExecutionRecord,
  executionPurposes,
  executionStates,
} from '#domain/execution';
import type { ExecutionSlot, ExecutionStore, VerificationResult } from '#ports/execution-store';
import * as z from '#shared/zod';
import { cancellationCodes, queryAll, retryOnConflict } from './client.ts';
import { environmentKey, executionKey, executionSlotsKey } from './keys.ts';

/**
 * A slot entry: the deadline first, so a reader can tell a slot left by a dead runner without
 * reading its execution. ISO dates and UUIDs hold no `|`.
 */
const slotEntry = (execution: ExecutionSlot): string => `${execution.deadline}|${execution.id}`;

/**
 * An item holds at most 400 KB, and an output up to 1 MiB: the output is kept in pieces of at
 * most this many bytes, the first on the execution's item, the rest on `EXEC#<id>#<n>` items.
 */
const OUTPUT_CHUNK_BYTES = 300 * 1024;

/** `text` cut into pieces of at most `maxBytes` UTF-8 bytes, never inside a character. */
export const chunkUtf8 = (text: string, maxBytes: number): string[] => {
  const bytes = Buffer.from(text, 'utf8');
  const chunks: string[] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = Math.min(start + maxBytes, bytes.length);
    while (end < bytes.length && end > start && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
    chunks.push(bytes.subarray(start, end).toString('utf8'));
    start = end;
  }
  return chunks.length === 0 ? [''] : chunks;
};

const ttlOf = (startedAt: string): number =>
  Math.floor(Date.parse(startedAt) / 1000) + EXECUTION_RETENTION_SEC;

/**
 * {@link ExecutionStore} on the one table. Executions live in their environment's partition
 * (`ENV#<id>` / `EXEC#<execution id>`, TTL 24 h). The running ones hold an entry each in a
 * string set on `ENV#<id>` / `EXECSLOTS`: starting is one conditional update (add the entry if
 * the set has room), so the bound holds under concurrent requests from any number of
 * functions; finishing is one transaction (write the record, remove the entry). The record of
 * a command that ends inside the sync window is written once, at its end.
 */
export class DynamoExecutionStore implements ExecutionStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor({ client, tableName }: { client: DynamoDBDocumentClient; tableName: string }) {
    this.#client = client;
    this.#tableName = tableName;
  }

  async start(
    execution: ExecutionSlot,
    options: { readonly maxRunning: number; readonly now: Date },
  ): Promise<void> {
    // Two tries: the second after giving back slots whose runners died.
    for (let attempt = 1; ; attempt++) {
      try {
        await retryOnConflict(() => this.#startOnce(execution, options.maxRunning));
        return;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const freed = attempt === 1 ? await this.#releaseStale(execution.environmentId, options.now) : 0;
        if (freed === 0) throw new TooManyExecutionsError(options.maxRunning, { cause: error });
      }
    }
  }

  #startOnce(execution: ExecutionSlot, maxRunning: number) {
    return this.#client.send(
      new UpdateCommand({
        TableName: this.#tableName,
        Key: executionSlotsKey(execution.environmentId),
        UpdateExpression: 'ADD #running :entry SET #ttl = :ttl',
        ConditionExpression: 'attribute_not_exists(#running) OR size(#running) < :max',
        ExpressionAttributeNames: { '#running': 'running', '#ttl': 'ttl' },
        ExpressionAttributeValues: {
          ':entry': new Set([slotEntry(execution)]),
          ':max': maxRunning,
          // The set outlives its last entry's execution record by a day at most.
          ':ttl': Math.floor(Date.parse(execution.deadline) / 1000) + EXECUTION_RETENTION_SEC,
        },
      }),
    );
  }

  async release(execution: ExecutionSlot): Promise<void> {
    await retryOnConflict(() => this.#client.send(new UpdateCommand(this.#release(execution))));
  }

  #release(execution: ExecutionSlot) {
    return {
      TableName: this.#tableName,
      Key: executionSlotsKey(execution.environmentId),
      UpdateExpression: 'DELETE #running :entry',
      ExpressionAttributeNames: { '#running': 'running' },
      ExpressionAttributeValues: { ':entry': new Set([slotEntry(execution)]) },
    };
  }

  async recordRunning(execution: ExecutionRecord): Promise<ExecutionRecord> {
    try {
      await retryOnConflict(() =>
        this.#client.send(
          new PutCommand({
            TableName: this.#tableName,
            Item: toItem(execution),
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
      return execution;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // It finished (and was recorded) in the meantime.
      return (await this.get(execution.environmentId, execution.id)) ?? execution;
    }
  }

  /** Removes the entries past their deadline; returns how many. */
  async #releaseStale(environmentId: string, now: Date): Promise<number> {
    const { Item } = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: executionSlotsKey(environmentId),
        ConsistentRead: true,
      }),
    );
    const entries = Item?.running instanceof Set ? [...(Item.running as Set<string>)] : [];
    const stale = entries.filter((entry) => (entry.split('|')[0] ?? '') < now.toISOString());
    if (stale.length === 0) return 0;
    await this.#client.send(
      new UpdateCommand({
        TableName: this.#tableName,
        Key: executionSlotsKey(environmentId),
        UpdateExpression: 'DELETE #running :stale',
        ExpressionAttributeNames: { '#running': 'running' },
        ExpressionAttributeValues: { ':stale': new Set(stale) },
      }),
    );
    return stale.length;
  }

  async finish(
    execution: ExecutionRecord,
    outcome: ExecutionOutcome,
    finishedAt: Date,
  ): Promise<ExecutionRecord | null> {
    const [first = '', ...rest] = chunkUtf8(outcome.output, OUTPUT_CHUNK_BYTES);
    const ttl = ttlOf(execution.startedAt);
    const completed: ExecutionRecord = {
      ...execution,
      state: 'completed',
      finishedAt: finishedAt.toISOString(),
      exitCode: outcome.exitCode,
      output: outcome.output,
      truncated: outcome.truncated,
      timedOut: outcome.timedOut,
      durationMs: outcome.durationMs,
      error: outcome.error,
    };
    // Written whether or not a running record exists (a command that ended inside the sync
    // window has none), but never over a completed one.
    const record = {
      TableName: this.#tableName,
      Item: { ...toItem(completed), output: first, outputChunks: rest.length + 1 },
      ConditionExpression: 'attribute_not_exists(pk) OR #state = :running',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':running': 'running' },
    };
    const release = this.#release(execution);
    try {
      // One request (DynamoDB Local serialises concurrent writes, so two side by side cost two):
      // the record, the slot back, and the pieces of a long output, which land with their
      // record or not at all, so a reader never sees a completed record cut short.
      await retryOnConflict(() =>
        this.#client.send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: record },
              { Update: release },
              ...rest.map((output, index) => ({
                Put: {
                  TableName: this.#tableName,
                  Item: { ...outputChunkKey(execution, index + 1), output, ttl },
                },
              })),
            ],
          }),
        ),
      );
    } catch (error) {
      if (cancellationCodes(error)?.[0] !== 'ConditionalCheckFailed') throw error;
      // Already completed: that outcome stands, and the slot must not stay taken either way.
      await this.release(execution);
      return this.get(execution.environmentId, execution.id);
    }
    // What was just written, without reading it back.
    return completed;
  }

  async get(environmentId: string, executionId: string): Promise<ExecutionRecord | null> {
    const { Item } = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: executionKey(environmentId, executionId),
        ConsistentRead: true,
      }),
    );
    if (Item === undefined) return null;
    const record = fromItem(Item);
    const chunks = typeof Item.outputChunks === 'number' ? Item.outputChunks : 1;
    if (chunks <= 1 || record.output === null) return record;
    const rest = await queryAll(this.#client, {
      TableName: this.#tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: {
        ':pk': executionKey(environmentId, executionId).pk,
        ':prefix': `${executionKey(environmentId, executionId).sk}#`,
      },
      ConsistentRead: true,
    });
    const pieces = rest
      .map((item) => ({ n: Number(String(item.sk).split('#').pop()), output: String(item.output ?? '') }))
      .sort((a, b) => a.n - b.n)
      .map((piece) => piece.output);
    return { ...record, output: record.output + pieces.join('') };
  }

  async recordVerification(environmentId: string, result: VerificationResult): Promise<void> {
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: environmentKey(environmentId),
          UpdateExpression: 'SET verification = :verification',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: {
            ':verification': { passed: result.passed, verifiedAt: result.verifiedAt },
          },
        }),
      );
    } catch (error) {
      // The environment's record is gone (TTL): there is nothing to keep the result on.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

const outputChunkKey = (execution: Pick<ExecutionRecord, 'environmentId' | 'id'>, n: number) => {
  const key = executionKey(execution.environmentId, execution.id);
  return { pk: key.pk, sk: `${key.sk}#${String(n).padStart(2, '0')}` };
};

const toItem = (record: ExecutionRecord): Record<string, unknown> => ({
  ...executionKey(record.environmentId, record.id),
  environmentId: record.environmentId,
  id: record.id,
  state: record.state,
  service: record.service,
  purpose: record.purpose,
  startedAt: record.startedAt,
  deadline: record.deadline,
  finishedAt: record.finishedAt,
  exitCode: record.exitCode,
  output: record.output,
  truncated: record.truncated,
  timedOut: record.timedOut,
  durationMs: record.durationMs,
  error: record.error,
  ttl: ttlOf(record.startedAt),
});

const itemSchema = z.object({
  environmentId: z.string(),
  id: z.string(),
  state: z.enum(executionStates),
  service: z.string(),
  purpose: z.enum(executionPurposes),
  startedAt: z.string(),
  deadline: z.string(),
  finishedAt: z.nullish(z.string()),
  exitCode: z.nullish(z.number()),
  output: z.nullish(z.string()),
  truncated: z.nullish(z.boolean()),
  timedOut: z.nullish(z.boolean()),
  durationMs: z.nullish(z.number()),
  error: z.nullish(z.string()),
});

const fromItem = (item: Record<string, unknown>): ExecutionRecord => {
  const parsed = itemSchema.parse(item);
  return {
    ...parsed,
    finishedAt: parsed.finishedAt ?? null,
    exitCode: parsed.exitCode ?? null,
    output: parsed.output ?? null,
    truncated: parsed.truncated ?? null,
    timedOut: parsed.timedOut ?? null,
    durationMs: parsed.durationMs ?? null,
    error: parsed.error ?? null,
  };
};
