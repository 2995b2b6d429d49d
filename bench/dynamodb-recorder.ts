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
  /** The error's name when the call failed (`ConditionalCheckFailedException` …). */
  readonly error?: string;
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
        let error: string | undefined;
        try {
          return await next(args);
        } catch (thrown) {
          error = thrown instanceof Error ? thrown.name : 'Error';
          throw thrown;
        } finally {
          this.#calls.push({
            command: context.commandName ?? 'UnknownCommand',
            input: args.input,
            startedAt,
            endedAt: performance.now(),
            scope,
            ...(error === undefined ? {} : { error }),
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

/** Sends a recorded input again on one kind of client, by the operation recorded. */
type Senders<Client> = Readonly<Record<string, (client: Client, input: unknown) => Promise<unknown>>>;

/** The document command of each operation taskenv's adapters send. */
const DOCUMENT: Senders<DynamoDBDocumentClient> = {
  GetItemCommand: (c, input) => c.send(new GetCommand(input as GetCommandInput)),
  PutItemCommand: (c, input) => c.send(new PutCommand(input as PutCommandInput)),
  UpdateItemCommand: (c, input) => c.send(new UpdateCommand(input as UpdateCommandInput)),
  DeleteItemCommand: (c, input) => c.send(new DeleteCommand(input as DeleteCommandInput)),
  QueryCommand: (c, input) => c.send(new QueryCommand(input as QueryCommandInput)),
  TransactWriteItemsCommand: (c, input) =>
    c.send(new TransactWriteCommand(input as TransactWriteCommandInput)),
  BatchGetItemCommand: (c, input) => c.send(new BatchGetCommand(input as BatchGetCommandInput)),
};

/** The low-level command of each operation Powertools' idempotency layer sends (attribute-value input). */
const LOW_LEVEL: Senders<DynamoDBClient> = {
  GetItemCommand: (c, input) => c.send(new GetItemCommand(input as GetItemCommandInput)),
  PutItemCommand: (c, input) => c.send(new PutItemCommand(input as PutItemCommandInput)),
  UpdateItemCommand: (c, input) => c.send(new UpdateItemCommand(input as UpdateItemCommandInput)),
  DeleteItemCommand: (c, input) => c.send(new DeleteItemCommand(input as DeleteItemCommandInput)),
};

const sendAgain = <Client>(
  senders: Senders<Client>,
  on: string,
  client: Client,
  command: string,
  input: unknown,
) => {
  const send = senders[command];
  if (send === undefined) throw new Error(`The benchmark cannot replay ${command} on ${on}`);
  return send(client, input);
};

/** Sends a recorded call again through `client`, with the document command of the same operation. */
export const replay = (client: DynamoDBDocumentClient, command: string, input: unknown): Promise<unknown> =>
  sendAgain(DOCUMENT, 'a document client', client, command, input);

/** The same for a call recorded on a low-level client. */
export const replayLowLevel = (client: DynamoDBClient, command: string, input: unknown): Promise<unknown> =>
  sendAgain(LOW_LEVEL, 'a low-level client', client, command, input);
