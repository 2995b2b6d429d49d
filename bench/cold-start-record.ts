/**
 * Run by the cold-start figure in a fresh process (`tsx bench/cold-start-record.ts <entry>
 * <event.json> <out.json>`), with the function's environment: imports the function's entry from
 * source, invokes its handler once with the event and writes every AWS SDK call it made (see
 * `sdk-calls.ts`) and its answer. The baseline then makes the same calls.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { encodeInput, type SdkCall } from './sdk-calls.ts';

const [entry, eventFile, outFile] = process.argv.slice(2);
if (entry === undefined || eventFile === undefined || outFile === undefined) {
  throw new Error('usage: cold-start-record.ts <entry> <event.json> <out.json>');
}

interface Sendable {
  send(this: object, command: { input?: unknown }, ...rest: unknown[]): Promise<unknown>;
}
// Every SDK client's `send`, the document client's included: the smithy `Client` they all extend.
const base = Object.getPrototypeOf(DynamoDBClient.prototype) as Sendable;
const original = base.send;
const calls: SdkCall[] = [];
base.send = function (this: object, command, ...rest) {
  const call = {
    client: this.constructor.name,
    command: command.constructor.name,
    input: encodeInput(command.input),
    startedAt: performance.now(),
    endedAt: 0,
    error: null as string | null,
  };
  calls.push(call);
  return original.call(this, command, ...rest).then(
    (value) => {
      call.endedAt = performance.now();
      return value;
    },
    (error: unknown) => {
      call.endedAt = performance.now();
      call.error = error instanceof Error ? error.name : String(error);
      throw error;
    },
  );
};

const mod = (await import(pathToFileURL(entry).href)) as {
  handler: (event: unknown, context: unknown) => Promise<unknown>;
};
const event: unknown = JSON.parse(await readFile(eventFile, 'utf8'));
const context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'taskenv-bench',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:taskenv-bench',
  memoryLimitInMB: '1024',
  awsRequestId: crypto.randomUUID(),
  logGroupName: '/aws/lambda/taskenv-bench',
  logStreamName: 'bench',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};
let result: unknown;
let failure: string | null = null;
try {
  result = await mod.handler(event, context);
} catch (error) {
  failure = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
await writeFile(outFile, JSON.stringify({ calls, result: result ?? null, failure }));
process.exit(0);
