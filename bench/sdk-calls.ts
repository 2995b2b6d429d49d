/**
 * The AWS SDK calls a function's first invocation makes, recorded at `Client.send` (every SDK v3
 * client, the DynamoDB document client included, inherits it from one smithy `Client`), and the
 * baseline bundle that makes the same calls with nothing of taskenv around them.
 */

/** One `client.send(command)`, its input encoded as JSON (see {@link encodeInput}). */
export interface SdkCall {
  /** The client class: `DynamoDBDocumentClient`, `ECSClient` … */
  readonly client: string;
  /** The command class: `GetCommand`, `RunTaskCommand` … */
  readonly command: string;
  readonly input: unknown;
  readonly startedAt: number;
  readonly endedAt: number;
  /** The error's name when the call failed (the baseline then expects the same failure). */
  readonly error: string | null;
}

/**
 * JSON for a command input: byte arrays, sets and dates (which inputs carry: KMS messages,
 * DynamoDB string sets, schedule dates) as tagged objects that {@link decodeInput} turns back.
 */
export const encodeInput = (value: unknown): unknown => {
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') };
  if (value instanceof Set) return { $set: [...value].map(encodeInput) };
  if (value instanceof Date) return { $date: value.toISOString() };
  if (Array.isArray(value)) return value.map(encodeInput);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, encodeInput(v)]),
    );
  }
  return value;
};

/** The inverse of {@link encodeInput}, as JavaScript source for the baseline bundle. */
const DECODE_INPUT_SOURCE = `function decodeInput(value) {
  if (Array.isArray(value)) return value.map(decodeInput);
  if (typeof value !== 'object' || value === null) return value;
  if (typeof value.$bytes === 'string') return new Uint8Array(Buffer.from(value.$bytes, 'base64'));
  if (Array.isArray(value.$set)) return new Set(value.$set.map(decodeInput));
  if (typeof value.$date === 'string') return new Date(value.$date);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decodeInput(v)]));
}`;

/** The npm package each recorded client class comes from. */
export const CLIENT_PACKAGES: Readonly<Record<string, string>> = {
  DynamoDBClient: '@aws-sdk/client-dynamodb',
  DynamoDBDocumentClient: '@aws-sdk/lib-dynamodb',
  EC2Client: '@aws-sdk/client-ec2',
  ECSClient: '@aws-sdk/client-ecs',
  EventBridgeClient: '@aws-sdk/client-eventbridge',
  S3Client: '@aws-sdk/client-s3',
  SchedulerClient: '@aws-sdk/client-scheduler',
  SecretsManagerClient: '@aws-sdk/client-secrets-manager',
  KMSClient: '@aws-sdk/client-kms',
  LambdaClient: '@aws-sdk/client-lambda',
  CloudWatchLogsClient: '@aws-sdk/client-cloudwatch-logs',
  SQSClient: '@aws-sdk/client-sqs',
};

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/**
 * The recorded calls for another fixture: the recording fixture's ids become `ids`, and every
 * other UUID (ids the function generated itself: a new environment, an execution) a fresh one,
 * so a conditional put meets no leftover of an earlier sample.
 */
export const retarget = (
  wavesJson: string,
  recordedIds: readonly string[],
  ids: readonly string[],
  fresh: () => string,
): string => {
  const fixed = new Map(recordedIds.map((id, i) => [id, ids[i] ?? id]));
  const generated = new Map<string, string>();
  let text = wavesJson.replace(UUID, (uuid) => {
    if (fixed.has(uuid)) return uuid;
    const replacement = generated.get(uuid) ?? fresh();
    generated.set(uuid, replacement);
    return replacement;
  });
  // Longest first, and through placeholders, so one id inside another is not half-replaced.
  const order = [...recordedIds.keys()].sort(
    (a, b) => (recordedIds[b] ?? '').length - (recordedIds[a] ?? '').length,
  );
  for (const i of order) text = text.replaceAll(recordedIds[i] ?? '', `\u0000${i}\u0000`);
  for (const i of order) text = text.replaceAll(`\u0000${i}\u0000`, ids[i] ?? '');
  return text;
};

/** The document client options of `createDocumentClient`, which the baseline's client shares. */
const DOCUMENT_CLIENT_OPTIONS =
  '{ marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false } }';

/**
 * A module that builds the clients of `sdkPackages` at load (as the function's client modules
 * do) and whose handler sends the recorded calls, wave by wave, each wave's calls together. The
 * handler's event is the waves to send (`{ waves: [[{ client, command, input, error }]] }`),
 * prepared before the clock starts.
 */
export const baselineSource = (sdkPackages: readonly string[], calls: readonly SdkCall[]): string => {
  const clientClasses = new Set<string>();
  for (const [className, pkg] of Object.entries(CLIENT_PACKAGES)) {
    if (sdkPackages.includes(pkg) && className !== 'DynamoDBDocumentClient') clientClasses.add(className);
  }
  for (const call of calls) if (call.client !== 'DynamoDBDocumentClient') clientClasses.add(call.client);
  const documentClient =
    sdkPackages.includes('@aws-sdk/lib-dynamodb') || calls.some((c) => c.client === 'DynamoDBDocumentClient');
  if (documentClient) clientClasses.add('DynamoDBClient');

  const imports = new Map<string, Set<string>>();
  const want = (pkg: string, name: string) => imports.set(pkg, (imports.get(pkg) ?? new Set()).add(name));
  for (const className of clientClasses) {
    const pkg = CLIENT_PACKAGES[className];
    if (pkg === undefined) throw new Error(`No package known for ${className}`);
    want(pkg, className);
  }
  if (documentClient) want('@aws-sdk/lib-dynamodb', 'DynamoDBDocumentClient');
  const commands = new Map<string, string>();
  for (const call of calls) {
    const pkg = CLIENT_PACKAGES[call.client];
    if (pkg === undefined) throw new Error(`No package known for ${call.client}`);
    want(pkg, call.command);
    commands.set(`${call.client}.${call.command}`, call.command);
  }

  const lines: string[] = [];
  for (const [pkg, names] of imports) lines.push(`import { ${[...names].sort().join(', ')} } from '${pkg}';`);
  const built = [...clientClasses].map((c) => `  ${c}: new ${c}({}),`);
  if (documentClient) {
    built.push(
      `  DynamoDBDocumentClient: DynamoDBDocumentClient.from(new DynamoDBClient({}), ${DOCUMENT_CLIENT_OPTIONS}),`,
    );
  }
  lines.push(`const clients = {\n${built.join('\n')}\n};`);
  lines.push(
    `const commands = {\n${[...commands].map(([key, name]) => `  '${key}': ${name},`).join('\n')}\n};`,
  );
  lines.push(DECODE_INPUT_SOURCE);
  lines.push(`const send = async (call) => {
  try {
    await clients[call.client].send(new commands[call.client + '.' + call.command](decodeInput(call.input)));
  } catch (error) {
    if (error?.name !== call.error) throw error;
    return;
  }
  if (call.error !== null) throw new Error(call.command + ' succeeded where the function saw ' + call.error);
};`);
  lines.push(`export const handler = async (event) => {
  for (const wave of event.waves) await Promise.all(wave.map(send));
  return { calls: event.waves.flat().length };
};`);
  return `${lines.join('\n')}\n`;
};
