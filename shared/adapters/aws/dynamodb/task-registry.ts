import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { AlreadyExistsError } from '#domain/errors';
import { type TaskManifest, taskManifestSchema } from '#domain/manifest';
import { roleSchema } from '#domain/principal';
import { padSemver } from '#domain/semver';
import type { TaskCandidate } from '#domain/task-resolution';
import type { TaskVersionRecord } from '#domain/task-version';
import type { TaskRegistry } from '#ports/task-registry';
import * as z from '#shared/zod';
import { queryAll } from './client.ts';
import {
  orgTaskListKeys,
  orgTasksPk,
  PUBLIC_TASKS_PK,
  publicTaskKeys,
  publicTaskPk,
  TASK_VERSION_PREFIX,
  taskVersionKey,
  taskVersionsPk,
} from './keys.ts';

/**
 * {@link TaskRegistry} on the one DynamoDB table. A version is one item, written once; public
 * versions also carry the gsi2/gsi3 keys, so the public indexes hold nothing private.
 */
export class DynamoTaskRegistry implements TaskRegistry {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #manifests: ManifestCache = new Map();

  constructor({ client, tableName }: { client: DynamoDBDocumentClient; tableName: string }) {
    this.#client = client;
    this.#tableName = tableName;
  }

  async publish(record: TaskVersionRecord): Promise<void> {
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: toItem(record),
          // Versions are immutable: a retried or repeated publish must not replace the manifest.
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new AlreadyExistsError(`Task ${record.org}/${record.name}@${record.version} already exists`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  async get(org: string, name: string, version: string): Promise<TaskVersionRecord | null> {
    const { Item } = await this.#client.send(
      new GetCommand({ TableName: this.#tableName, Key: taskVersionKey(org, name, version) }),
    );
    return Item === undefined ? null : fromItem(this.#manifests, Item);
  }

  async candidates(name: string, callerOrg: string, ownerOrg?: string): Promise<TaskCandidate[]> {
    // Resolution needs only these four fields; the manifests stay in the table.
    const projection = {
      ProjectionExpression: '#org, #name, #version, #public',
      ExpressionAttributeNames: {
        '#org': 'org',
        '#name': 'name',
        '#version': 'version',
        '#public': 'public',
      },
    };
    const [owned, published] = await Promise.all([
      queryAll(this.#client, {
        TableName: this.#tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: {
          ':pk': taskVersionsPk(ownerOrg ?? callerOrg, name),
          ':prefix': TASK_VERSION_PREFIX,
        },
        ...projection,
      }),
      queryAll(this.#client, {
        TableName: this.#tableName,
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :pk',
        ExpressionAttributeValues: { ':pk': publicTaskPk(name) },
        ...projection,
      }),
    ]);
    // A public version of the queried org is in both results.
    const unique = new Map<string, TaskCandidate>();
    for (const item of [...owned, ...published]) {
      const candidate = candidateSchema.parse(item);
      unique.set(`${candidate.org}/${candidate.version}`, candidate);
    }
    return [...unique.values()];
  }

  async listVisible(org: string): Promise<TaskVersionRecord[]> {
    const [own, published] = await Promise.all([
      queryAll(this.#client, {
        TableName: this.#tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': orgTasksPk(org) },
      }),
      queryAll(this.#client, {
        TableName: this.#tableName,
        IndexName: 'gsi3',
        KeyConditionExpression: 'gsi3pk = :pk',
        ExpressionAttributeValues: { ':pk': PUBLIC_TASKS_PK },
      }),
    ]);
    // The caller's own versions (private ones included) come from gsi1; of other orgs, only the
    // public index counts, so "latest" there is the latest public version.
    const latest = new Map<string, { padded: string; record: TaskVersionRecord }>();
    const read = (item: Record<string, unknown>) => fromItem(this.#manifests, item);
    for (const record of [...own.map(read), ...published.map(read).filter((r) => r.org !== org)]) {
      const key = `${record.org}/${record.name}`;
      const padded = padSemver(record.version);
      const best = latest.get(key);
      if (best === undefined || padded > best.padded) latest.set(key, { padded, record });
    }
    return [...latest.values()]
      .map(({ record }) => record)
      .sort((a, b) => a.name.localeCompare(b.name) || a.org.localeCompare(b.org));
  }
}

const toItem = (record: TaskVersionRecord): Record<string, unknown> => ({
  ...taskVersionKey(record.org, record.name, record.version),
  ...orgTaskListKeys(record.org, record.name, record.version),
  ...(record.public ? publicTaskKeys(record.org, record.name, record.version) : {}),
  org: record.org,
  name: record.name,
  version: record.version,
  public: record.public,
  description: record.description ?? undefined,
  manifest: record.manifest,
  taskDefinitionArn: record.taskDefinitionArn ?? undefined,
  createdAt: record.createdAt,
  publishedBy: record.publishedBy,
});

const candidateSchema = z.object({
  org: z.string(),
  name: z.string(),
  version: z.string(),
  public: z.boolean(),
});

const itemSchema = z.extend(candidateSchema, {
  description: z.nullish(z.string()),
  manifest: z.unknown(),
  taskDefinitionArn: z.nullish(z.string()),
  createdAt: z.string(),
  publishedBy: z.optional(z.object({ org: z.string(), role: roleSchema, keyId: z.string() })),
});

/** How many parsed manifests a warm function keeps (versions it read, most recent last). */
const MANIFEST_CACHE_SIZE = 256;

/** Parsed manifests by `org/name@version`, of one registry (one table). */
type ManifestCache = Map<string, TaskManifest>;

/**
 * A stored manifest, parsed once per version and registry (a warm function has one; two local
 * stacks in one process, over two tables, have one each). It was parsed with this schema before
 * it was published, so reading it back through the same schema is lossless and fails loudly
 * only on a corrupt item; versions are immutable, so the first parse stands for every later
 * read of the same version (a corrupt item fails every read, as it is never cached).
 */
const manifestOf = (parsedManifests: ManifestCache, key: string, stored: unknown): TaskManifest => {
  const cached = parsedManifests.get(key);
  if (cached !== undefined) return cached;
  const manifest = taskManifestSchema().parse(stored);
  if (parsedManifests.size >= MANIFEST_CACHE_SIZE) {
    const oldest = parsedManifests.keys().next();
    if (oldest.done !== true) parsedManifests.delete(oldest.value);
  }
  parsedManifests.set(key, manifest);
  return manifest;
};

const fromItem = (parsedManifests: ManifestCache, item: Record<string, unknown>): TaskVersionRecord => {
  const { publishedBy, manifest, ...parsed } = itemSchema.parse(item);
  return {
    ...parsed,
    manifest: manifestOf(parsedManifests, `${parsed.org}/${parsed.name}@${parsed.version}`, manifest),
    description: parsed.description ?? null,
    taskDefinitionArn: parsed.taskDefinitionArn ?? null,
    ...(publishedBy === undefined ? {} : { publishedBy }),
  };
};
