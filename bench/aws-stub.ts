/**
 * A local stand-in for the AWS services without an emulator (ECS, EventBridge, Scheduler, SQS,
 * KMS, EC2, CloudWatch Logs, Lambda, S3, Secrets Manager), for the cold-start figure: every
 * function and its SDK-only baseline send their first invocation's calls here (through
 * `AWS_ENDPOINT_URL`), so both sides pay the same SDK serialisation, signing, HTTP round trip
 * and parsing. Each operation the first invocations make gets a minimal valid answer; anything
 * else is a 400 and is counted, so an unexpected call fails the figure instead of skewing it.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AwsStub {
  /** `http://127.0.0.1:<port>`: an IP, so S3 uses path-style addressing. */
  readonly endpoint: string;
  /** `service:operation` of every request, in arrival order. */
  readonly calls: string[];
  /** Requests it had no answer for. */
  readonly unknown: string[];
  stop(): Promise<void>;
}

interface Reply {
  readonly status?: number;
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

const json = (value: unknown, protocol = '1.1'): Reply => ({
  contentType: `application/x-amz-json-${protocol}`,
  body: JSON.stringify(value),
});
const restJson = (value: unknown, status = 200): Reply => ({
  status,
  contentType: 'application/json',
  body: JSON.stringify(value),
});

/** The signing service of a SigV4 request: `Credential=<key>/<date>/<region>/<service>/aws4_request`. */
const serviceOf = (request: IncomingMessage): string =>
  /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(request.headers.authorization ?? '')?.[1] ?? 'unknown';

const ec2Xml = (operation: string, inner: string): Reply => ({
  contentType: 'text/xml',
  body: `<?xml version="1.0" encoding="UTF-8"?><${operation}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>${randomUUID()}</requestId>${inner}</${operation}Response>`,
});

const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

/** The answer to one call, or null for one the stub does not know. */
const answer = (service: string, operation: string, body: string): Reply | null => {
  const input = (): Record<string, unknown> => {
    try {
      return JSON.parse(body) as Record<string, unknown>;
    } catch {
      return {};
    }
  };
  switch (`${service}:${operation}`) {
    case 'ecs:RunTask': {
      const taskArn = `arn:aws:ecs:us-east-1:000000000000:task/taskenv/${randomUUID().replaceAll('-', '')}`;
      return json({
        tasks: [{ taskArn, lastStatus: 'PROVISIONING', desiredStatus: 'RUNNING' }],
        failures: [],
      });
    }
    case 'ecs:StopTask':
      return json({ task: { lastStatus: 'STOPPED' } });
    case 'ecs:DescribeTasks':
      return json({ tasks: [], failures: [] });
    case 'ecs:ListTasks':
      return json({ taskArns: [] });
    case 'ecs:ExecuteCommand':
      // The agent is not connected: a client fault, which the command runner records as such.
      return {
        status: 400,
        contentType: 'application/x-amz-json-1.1',
        body: JSON.stringify({
          __type: 'TargetNotConnectedException',
          message: 'The execute command failed because the agent is not connected (bench stub).',
        }),
      };
    case 'events:PutEvents': {
      const entries = Array.isArray(input().Entries) ? (input().Entries as unknown[]) : [];
      return json({ FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: randomUUID() })) });
    }
    case 'kms:GenerateMac':
      return json({
        Mac: Buffer.from(createHash('sha256').update(body).digest()).toString('base64'),
        MacAlgorithm: 'HMAC_SHA_256',
        KeyId: input().KeyId,
      });
    case 'kms:VerifyMac':
      return json({ MacValid: true, MacAlgorithm: 'HMAC_SHA_256', KeyId: input().KeyId });
    case 'sqs:SendMessage':
      return json(
        { MessageId: randomUUID(), MD5OfMessageBody: md5(String(input().MessageBody ?? '')) },
        '1.0',
      );
    case 'logs:GetLogEvents':
      return json({ events: [], nextForwardToken: 'f/0', nextBackwardToken: 'b/0' });
    case 'logs:FilterLogEvents':
      return json({ events: [], searchedLogStreams: [] });
    case 'secretsmanager:GetSecretValue':
      return json({ Name: input().SecretId, SecretString: 'bench' });
    case 'scheduler:CreateSchedule':
    case 'scheduler:UpdateSchedule':
      return restJson({ ScheduleArn: 'arn:aws:scheduler:us-east-1:000000000000:schedule/taskenv/bench' });
    case 'scheduler:DeleteSchedule':
      return restJson({});
    case 'ec2:DescribeNetworkInterfaces':
      return ec2Xml(
        'DescribeNetworkInterfaces',
        '<networkInterfaceSet><item><networkInterfaceId>eni-0bench</networkInterfaceId><privateIpAddress>10.0.0.10</privateIpAddress><association><publicIp>203.0.113.10</publicIp></association></item></networkInterfaceSet>',
      );
    case 'lambda:Invoke':
      return { status: 202, contentType: 'application/json', body: '' };
    case 's3:PutObject':
      return { headers: { etag: '"bench"' }, body: '' };
    case 's3:DeleteObject':
      return { status: 204, body: '' };
    default:
      return null;
  }
};

/** The operation: the JSON protocols name it in `X-Amz-Target`, the others in the method and path or the form. */
const operationOf = (service: string, request: IncomingMessage, body: string): string => {
  const target = request.headers['x-amz-target'];
  if (typeof target === 'string') return target.slice(target.lastIndexOf('.') + 1);
  const method = request.method ?? 'GET';
  const path = (request.url ?? '/').split('?')[0] ?? '/';
  if (service === 'ec2') return new URLSearchParams(body).get('Action') ?? 'unknown';
  if (service === 'scheduler' && path.startsWith('/schedules/')) {
    return { POST: 'CreateSchedule', PUT: 'UpdateSchedule', DELETE: 'DeleteSchedule', GET: 'GetSchedule' }[
      method
    ] as string;
  }
  if (service === 'lambda' && path.endsWith('/invocations')) return 'Invoke';
  if (service === 's3')
    return { PUT: 'PutObject', DELETE: 'DeleteObject', GET: 'GetObject' }[method] as string;
  return `${method} ${path}`;
};

export const startAwsStub = async (): Promise<AwsStub> => {
  const calls: string[] = [];
  const unknown: string[] = [];
  const handle = (request: IncomingMessage, response: ServerResponse, body: string) => {
    const service = serviceOf(request);
    const operation = operationOf(service, request, body);
    calls.push(`${service}:${operation}`);
    const reply = answer(service, operation, body);
    if (reply === null) {
      unknown.push(`${service}:${operation}`);
      response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(
        JSON.stringify({ __type: 'BenchStubUnknownOperation', message: `${service}:${operation}` }),
      );
      return;
    }
    response.writeHead(reply.status ?? 200, {
      ...(reply.contentType === undefined ? {} : { 'content-type': reply.contentType }),
      'x-amzn-requestid': randomUUID(),
      ...reply.headers,
    });
    response.end(reply.body ?? '');
  };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => handle(request, response, Buffer.concat(chunks).toString('utf8')));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    unknown,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
