/**
 * A stand-in for the AWS services that have no local emulator (ECS, EventBridge, SQS, KMS,
 * Scheduler, S3, Secrets Manager, Lambda), for tests that run a deployed bundle in its own Node
 * process: the bundle's SDK is pointed at it with `AWS_ENDPOINT_URL`. It answers each call the
 * way the service documents a success and records the request, so a test asserts what the
 * function sent. DynamoDB stays the real DynamoDB Local (`AWS_ENDPOINT_URL_DYNAMODB`).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StubCall {
  /** `ECS.RunTask`, `Scheduler.CreateSchedule`, `S3.PutObject`, `Lambda.Invoke` … */
  readonly operation: string;
  readonly path: string;
  /** The parsed JSON body (JSON protocols), or the raw text. */
  readonly body: unknown;
  /** What the stub answered (JSON protocols). */
  response?: unknown;
}

export interface AwsStub {
  readonly url: string;
  readonly calls: StubCall[];
  /** The calls of one operation, in order. */
  of(operation: string): StubCall[];
  close(): Promise<void>;
}

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

type JsonAnswer = (body: Record<string, unknown>) => unknown;

/** Answers of the JSON-protocol services, by `X-Amz-Target` (service prefix stripped to a short name). */
const JSON_TARGETS: Readonly<Record<string, readonly [string, Readonly<Record<string, JsonAnswer>>]>> = {
  AmazonEC2ContainerServiceV20141113: [
    'ECS',
    {
      RunTask: (b) => ({
        tasks: [
          {
            taskArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task/taskenv-smoke/${randomUUID().replaceAll('-', '')}`,
            lastStatus: 'PROVISIONING',
            desiredStatus: 'RUNNING',
            startedBy: b.startedBy,
            group: b.group,
          },
        ],
        failures: [],
      }),
      RegisterTaskDefinition: (b) => ({
        taskDefinition: {
          taskDefinitionArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${String(b.family)}:1`,
          family: b.family,
          revision: 1,
        },
      }),
      StopTask: () => ({ task: {} }),
      ListTasks: () => ({ taskArns: [] }),
      DescribeTasks: () => ({ tasks: [], failures: [] }),
      // No SSM agent answers here: the documented refusal of a task that cannot run commands.
      ExecuteCommand: () => {
        throw new StubError(400, 'TargetNotConnectedException', 'The execute command failed: no agent');
      },
    },
  ],
  AWSEvents: ['EventBridge', { PutEvents: (b) => ({ FailedEntryCount: 0, Entries: entriesOf(b) }) }],
  AmazonSQS: [
    'SQS',
    {
      SendMessage: (b) => ({
        MessageId: randomUUID(),
        // The SDK checks this digest of the body it sent.
        MD5OfMessageBody: createHash('md5')
          .update(String(b.MessageBody ?? ''))
          .digest('hex'),
      }),
    },
  ],
  TrentService: [
    'KMS',
    {
      GenerateMac: (b) => ({
        KeyId: b.KeyId,
        MacAlgorithm: b.MacAlgorithm,
        Mac: createHash('sha256')
          .update(String(b.Message ?? ''))
          .digest('base64'),
      }),
      VerifyMac: (b) => ({ KeyId: b.KeyId, MacAlgorithm: b.MacAlgorithm, MacValid: true }),
    },
  ],
  secretsmanager: [
    'SecretsManager',
    {
      CreateSecret: (b) => ({
        ARN: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${String(b.Name)}-AbCdEf`,
        Name: b.Name,
        VersionId: randomUUID(),
      }),
      PutSecretValue: (b) => ({ ARN: b.SecretId, VersionId: randomUUID() }),
    },
  ],
};

const entriesOf = (body: Record<string, unknown>) =>
  (Array.isArray(body.Entries) ? body.Entries : []).map(() => ({ EventId: randomUUID() }));

class StubError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'StubError';
  }
}

const readBody = async (request: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

const parse = (text: string): unknown => {
  try {
    return text === '' ? {} : JSON.parse(text);
  } catch {
    return text;
  }
};

/** REST services: Scheduler, Lambda and (path-style) S3. */
const restOperation = (method: string, path: string): string => {
  if (path.startsWith('/schedules/')) {
    return (
      {
        POST: 'Scheduler.CreateSchedule',
        PUT: 'Scheduler.UpdateSchedule',
        DELETE: 'Scheduler.DeleteSchedule',
      }[method] ?? `Scheduler.${method}`
    );
  }
  if (/^\/2015-03-31\/functions\/[^/]+\/invocations/.test(path)) return 'Lambda.Invoke';
  return { PUT: 'S3.PutObject', DELETE: 'S3.DeleteObject', GET: 'S3.GetObject' }[method] ?? `S3.${method}`;
};

const answer = (response: ServerResponse, status: number, type: string, body: string) => {
  response.writeHead(status, { 'content-type': type, 'x-amzn-requestid': randomUUID() });
  response.end(body);
};

export const startAwsStub = async (): Promise<AwsStub> => {
  const calls: StubCall[] = [];
  const server = createServer((request, response) => {
    void (async () => {
      const text = await readBody(request);
      const path = (request.url ?? '/').split('?')[0] ?? '/';
      const target = request.headers['x-amz-target'];
      if (typeof target === 'string') {
        const [prefix = '', action = ''] = target.split('.');
        const [service, answers] = JSON_TARGETS[prefix] ?? [prefix, {}];
        const body = parse(text) as Record<string, unknown>;
        const call: StubCall = { operation: `${service}.${action}`, path, body };
        calls.push(call);
        const type = request.headers['content-type'] ?? 'application/x-amz-json-1.1';
        const handle = answers[action];
        if (handle === undefined) {
          answer(
            response,
            400,
            type,
            JSON.stringify({ __type: 'UnknownOperationException', message: target }),
          );
          return;
        }
        try {
          call.response = handle(body);
          answer(response, 200, type, JSON.stringify(call.response));
        } catch (error) {
          const failure =
            error instanceof StubError ? error : new StubError(500, 'InternalFailure', String(error));
          answer(
            response,
            failure.status,
            type,
            JSON.stringify({ __type: failure.code, message: failure.message }),
          );
        }
        return;
      }
      const operation = restOperation(request.method ?? 'GET', path);
      calls.push({ operation, path, body: parse(text) });
      if (operation.startsWith('Scheduler.')) {
        const name = decodeURIComponent(path.slice('/schedules/'.length));
        answer(
          response,
          200,
          'application/json',
          operation === 'Scheduler.DeleteSchedule'
            ? '{}'
            : JSON.stringify({
                ScheduleArn: `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/default/${name}`,
              }),
        );
      } else if (operation === 'Lambda.Invoke') {
        response.writeHead(202, { 'x-amzn-requestid': randomUUID() });
        response.end();
      } else {
        response.writeHead(operation === 'S3.DeleteObject' ? 204 : 200, {
          etag: `"${createHash('md5').update(text).digest('hex')}"`,
          'x-amz-request-id': randomUUID(),
        });
        response.end();
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    of: (operation) => calls.filter((c) => c.operation === operation),
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
};
