/**
 * Key builders of the one table (`docs/design.md`, "Data"; index use in `table.ts`). Every key the
 * adapters read or write is spelled here, so two item types cannot drift into the same key
 * space. Slugs, names and ids never contain `#` (see `#domain/names`), so `#` is a safe separator.
 */
import { sha256Hex } from '#domain/digest';
import { padSemver } from '#domain/semver';

export interface PrimaryKey {
  readonly pk: string;
  readonly sk: string;
}

// Environments

export const environmentKey = (id: string): PrimaryKey => ({ pk: `ENV#${id}`, sk: 'ENV' });

/** gsi1 partition of a workspace's environments. */
const workspaceEnvironmentsPk = (org: string, workspace: string): string => `WS#${org}#${workspace}`;

/** gsi1: `<created_at>#<id>` sorts by creation (ISO timestamps order lexically), id breaking ties. */
export const environmentListKeys = (env: {
  readonly org: string;
  readonly workspace: string;
  readonly createdAt: string;
  readonly id: string;
}): { gsi1pk: string; gsi1sk: string } => ({
  gsi1pk: workspaceEnvironmentsPk(env.org, env.workspace),
  gsi1sk: `${env.createdAt}#${env.id}`,
});

const HEX_DIGITS = '0123456789abcdef';

/** Every gsi3 partition of live environments. */
export const liveShardPks: readonly string[] = [...HEX_DIGITS].map((digit) => `LIVE#${digit}`);

/**
 * The shard of an environment: the first hex digit of its id (ids are UUIDs, so shards fill
 * evenly). An id that does not start with a hex digit falls back to the first digit of its
 * SHA-256, so it still lands in one of the 16 shards the reconciler reads.
 */
const liveShardOf = (id: string): string => {
  const first = id.charAt(0).toLowerCase();
  return first !== '' && HEX_DIGITS.includes(first) ? first : sha256Hex(id).charAt(0);
};

/** Sorts after every ISO date, so environments without an expiry come last in a shard. */
const NO_EXPIRY = '~';

/** gsi3 sort key of a live environment; rewritten whenever `expiresAt` changes. */
export const liveSortKey = (id: string, expiresAt: string | null): string =>
  `${expiresAt ?? NO_EXPIRY}#${id}`;

/** gsi3: present only while the environment is live; removed when it reaches a final state. */
export const liveKeys = (id: string, expiresAt: string | null): { gsi3pk: string; gsi3sk: string } => ({
  gsi3pk: `LIVE#${liveShardOf(id)}`,
  gsi3sk: liveSortKey(id, expiresAt),
});

// Executions (in their environment's partition)

const EXECUTION_PREFIX = 'EXEC#';

export const executionKey = (environmentId: string, executionId: string): PrimaryKey => ({
  pk: `ENV#${environmentId}`,
  sk: `${EXECUTION_PREFIX}${executionId}`,
});

/** The item holding the environment's execution slots (one entry per running execution). */
export const executionSlotsKey = (environmentId: string): PrimaryKey => ({
  pk: `ENV#${environmentId}`,
  sk: 'EXECSLOTS',
});

// Task versions

export const TASK_VERSION_PREFIX = 'V#';

export const taskVersionsPk = (org: string, name: string): string => `TASK#${org}#${name}`;

/** The padded version makes the highest sort key the latest version (`1.10.0` above `1.9.0`). */
export const taskVersionKey = (org: string, name: string, version: string): PrimaryKey => ({
  pk: taskVersionsPk(org, name),
  sk: `${TASK_VERSION_PREFIX}${padSemver(version)}`,
});

export const orgTasksPk = (org: string): string => `TASKS#${org}`;

/** gsi1: every version of every task of an org, by name then version. */
export const orgTaskListKeys = (
  org: string,
  name: string,
  version: string,
): { gsi1pk: string; gsi1sk: string } => ({
  gsi1pk: orgTasksPk(org),
  gsi1sk: `${name}#${padSemver(version)}`,
});

export const publicTaskPk = (name: string): string => `PUBLIC#${name}`;

export const PUBLIC_TASKS_PK = 'PUBLIC_TASKS';

/** gsi2 (public versions of one name) and gsi3 (public versions of everything); only public versions carry them. */
export const publicTaskKeys = (
  org: string,
  name: string,
  version: string,
): { gsi2pk: string; gsi2sk: string; gsi3pk: string; gsi3sk: string } => {
  const padded = padSemver(version);
  return {
    gsi2pk: publicTaskPk(name),
    gsi2sk: `${org}#V#${padded}`,
    gsi3pk: PUBLIC_TASKS_PK,
    gsi3sk: `${name}#${org}#${padded}`,
  };
};

// Access

export const apiKeyKey = (keyHash: string): PrimaryKey => ({ pk: `KEY#${keyHash}`, sk: 'KEY' });

export const orgKeysPk = (org: string): string => `KEYS#${org}`;

/** gsi1: the keys of an org, oldest first (`<created_at>#<key id>`). */
export const orgKeyListKeys = (key: {
  readonly org: string;
  readonly createdAt: string;
  readonly keyId: string;
}): { gsi1pk: string; gsi1sk: string } => ({
  gsi1pk: orgKeysPk(key.org),
  gsi1sk: `${key.createdAt}#${key.keyId}`,
});

export const orgKey = (org: string): PrimaryKey => ({ pk: `ORG#${org}`, sk: 'ORG' });

// Secrets

export const SECRET_PREFIX = 'SECRET#';

/** Secrets live in their workspace's partition: a workspace can only ever read its own. */
export const workspaceSecretsPk = (org: string, workspace: string): string => `WS#${org}#${workspace}`;

export const secretKey = (org: string, workspace: string, id: string): PrimaryKey => ({
  pk: workspaceSecretsPk(org, workspace),
  sk: `${SECRET_PREFIX}${id}`,
});

// Warm pools

export const orgPoolsPk = (org: string): string => `POOL#${org}`;

/** A pool in its org's partition: `POOL#<org>` / `<name>@<version>`. */
export const poolKey = (org: string, name: string): PrimaryKey => ({ pk: orgPoolsPk(org), sk: name });

/** gsi3 partition of every pool of every org (the keeper's and the reconciler's listing). */
export const ALL_POOLS_PK = 'POOLS';

export const allPoolsKeys = (org: string, name: string): { gsi3pk: string; gsi3sk: string } => ({
  gsi3pk: ALL_POOLS_PK,
  gsi3sk: `${org}#${name}`,
});

export const SLOT_PREFIX = 'SLOT#';

export const poolSlotsPk = (org: string, name: string): string => `POOL#${org}#${name}`;

/** A slot in its pool's partition: `POOL#<org>#<name>@<version>` / `SLOT#<id>`. */
export const slotKey = (org: string, name: string, id: string): PrimaryKey => ({
  pk: poolSlotsPk(org, name),
  sk: `${SLOT_PREFIX}${id}`,
});

/**
 * A slot that stopped waiting (claimed or retired) leaves its pool's partition, which thus holds
 * only waiting slots however many claims a pool sees, and lives on here, found by id alone.
 */
export const endedSlotKey = (id: string): PrimaryKey => ({ pk: `${SLOT_PREFIX}${id}`, sk: 'SLOT' });

/** gsi2: a waiting slot by id alone (a pool task's events name only the slot). */
export const slotIdKeys = (id: string): { gsi2pk: string; gsi2sk: string } => ({
  gsi2pk: `${SLOT_PREFIX}${id}`,
  gsi2sk: 'SLOT',
});

// Environment listing by filter (lean, keys-only indexes) and the counters behind `total`

/** gsi4: a workspace's environments in one state, newest first. */
export const workspaceStatePk = (org: string, workspace: string, state: string): string =>
  `WS#${org}#${workspace}#S#${state}`;

/** gsi5: a workspace's environments of one project in one state, newest first. */
export const projectStatePk = (org: string, workspace: string, projectId: string, state: string): string =>
  `WSP#${org}#${workspace}#${projectId}#S#${state}`;

/** gsi4 and gsi5 keys of an environment; rewritten with every change of state. */
export const environmentFilterKeys = (env: {
  readonly org: string;
  readonly workspace: string;
  readonly projectId: string;
  readonly state: string;
  readonly createdAt: string;
  readonly id: string;
}): { gsi4pk: string; gsi4sk: string; gsi5pk: string; gsi5sk: string } => {
  const sk = `${env.createdAt}#${env.id}`;
  return {
    gsi4pk: workspaceStatePk(env.org, env.workspace, env.state),
    gsi4sk: sk,
    gsi5pk: projectStatePk(env.org, env.workspace, env.projectId, env.state),
    gsi5sk: sk,
  };
};

/** The partition key prefix of the list counters (IAM scopes the TTL-removal consumer to it). */
export const COUNTERS_PREFIX = 'COUNT#';

const countersPk = (org: string, workspace: string): string => `${COUNTERS_PREFIX}${org}#${workspace}`;

/**
 * The two counter items of an environment: its workspace's and its workspace's project's. Each
 * holds one number per state (attribute named after the state), so every filter the list offers
 * (any set of states, with or without a project) has an exact total: a sum of one item's numbers.
 */
export const counterKeys = (env: {
  readonly org: string;
  readonly workspace: string;
  readonly projectId: string;
}): readonly [PrimaryKey, PrimaryKey] => [
  { pk: countersPk(env.org, env.workspace), sk: 'WS' },
  { pk: countersPk(env.org, env.workspace), sk: `P#${env.projectId}` },
];

/** Marker that one environment's removal by TTL was counted (a stream record may come twice). */
/** The partition key prefix of the removal markers. */
export const REMOVAL_MARKER_PREFIX = 'GONE#';

export const removalMarkerKey = (id: string): PrimaryKey => ({
  pk: `${REMOVAL_MARKER_PREFIX}${id}`,
  sk: 'GONE',
});
