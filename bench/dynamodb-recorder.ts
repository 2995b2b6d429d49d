/**
 * Records the DynamoDB calls a document client makes (command, input as the adapters wrote it,
 * start and end), through a middleware on the client's own stack: nothing in taskenv changes.
 * The figures count calls with it and replay the same calls raw.
 */
import {
  DeleteItemCommand,
  type DeleteItemCommandInput,
  type DynamoDBClient,
  GetItemCommand,
  type GetItemCommandInput,
  PutItemCommand,
  type PutItemCommandInput,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandInput,
  DeleteCommand,
  type DeleteCommandInput,
  type DynamoDBDocumentClient,
  GetCommand,
  type GetCommandInput,
  PutCommand,
  type PutCommandInput,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { currentScope } from './call-scope.ts';

export interface RecordedCall {
  /** The low-level operation (`GetItemCommand`, `TransactWriteItemsCommand` …). */
  readonly command: string;
  /** The document-client input, before marshalling. */
  readonly input: unknown;
  readonly startedAt: number;
  readonly endedAt: number;
  /** The {@link inScope} the call was made in. */
  readonly scope: string | undefined;
}

const WRITES: ReadonlySet<string> = new Set([
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'TransactWriteItemsCommand',
  'BatchWriteItemCommand',
]);

export const isWrite = (command: string): boolean => WRITES.has(command);

export class DynamoCallRecorder {
  #calls: RecordedCall[] = [];

  /** Adds the recording middleware; every later call through `client` is recorded. */
  attach(client: DynamoDBDocumentClient | DynamoDBClient): this {
    // The document client's stack is the low-level client's; one middleware shape fits both.
    (client.middlewareStack as DynamoDBDocumentClient['middlewareStack']).add(
      (next, context) => async (args) => {
        const startedAt = performance.now();
        const scope = currentScope();
        try {
          return await next(args);
        } finally {
          this.#calls.push({
            command: context.commandName ?? 'UnknownCommand',
            input: args.input,
            startedAt,
            endedAt: performance.now(),
            scope,
          });
        }
      },
      { step: 'initialize', priority: 'high', name: 'benchCallRecorder' },
    );
    return this;
  }

  /** Calls recorded since the last `take`, in completion order; clears them. */
  take(): RecordedCall[] {
    const calls = this.#calls;
    this.#calls = [];
    return calls;
  }
}

/** `{ GetItemCommand: 3, … }`. */
export const countByCommand = (calls: readonly RecordedCall[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const call of calls) counts[call.command] = (counts[call.command] ?? 0) + 1;
  return counts;
};

/** Sends a recorded call again through `client`, with the document command of the same operation. */
export const replay = (client: DynamoDBDocumentClient, command: string, input: unknown): Promise<unknown> => {
  switch (command) {
    case 'GetItemCommand':
      return client.send(new GetCommand(input as GetCommandInput));
    case 'PutItemCommand':
      return client.send(new PutCommand(input as PutCommandInput));
    case 'UpdateItemCommand':
      return client.send(new UpdateCommand(input as UpdateCommandInput));
    case 'DeleteItemCommand':
      return client.send(new DeleteCommand(input as DeleteCommandInput));
    case 'QueryCommand':
      return client.send(new QueryCommand(input as QueryCommandInput));
    case 'TransactWriteItemsCommand':
      return client.send(new TransactWriteCommand(input as TransactWriteCommandInput));
    case 'BatchGetItemCommand':
      return client.send(new BatchGetCommand(input as BatchGetCommandInput));
    default:
      throw new Error(`The benchmark cannot replay ${command}`);
  }
};

/** The same for a call recorded on a low-level client (attribute-value input, as Powertools' idempotency layer sends it). */
export const replayLowLevel = (client: DynamoDBClient, command: string, input: unknown): Promise<unknown> => {
  switch (command) {
    case 'GetItemCommand':
      return client.send(new GetItemCommand(input as GetItemCommandInput));
    case 'PutItemCommand':
      return client.send(new PutItemCommand(input as PutItemCommandInput));
    case 'UpdateItemCommand':
      return client.send(new UpdateItemCommand(input as UpdateItemCommandInput));
    case 'DeleteItemCommand':
      return client.send(new DeleteItemCommand(input as DeleteItemCommandInput));
    default:
      throw new Error(`The benchmark cannot replay ${command} on a low-level client`);
  }
};
