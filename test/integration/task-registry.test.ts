import { describe, expect, it } from 'vitest';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { DynamoTaskRegistry } from '#adapters/aws/dynamodb/task-registry';
import { ensureTables } from '#adapters/local/dynamodb-local';
import { AlreadyExistsError } from '#domain/errors';
import { parseManifest } from '#domain/manifest';
import { resolveTask } from '#domain/task-resolution';
import type { TaskVersionRecord } from '#domain/task-version';
import { uniqueName } from '#test/support/factories';

const tableName = process.env.TABLE_NAME ?? 'missing TABLE_NAME';
const registry = new DynamoTaskRegistry({ client: createDocumentClient(), tableName });

const makeVersion = (
  org: string,
  name: string,
  version: string,
  options: { public?: boolean; description?: string } = {},
): TaskVersionRecord => {
  const manifest = parseManifest({
    name,
    version,
    public: options.public ?? false,
    ...(options.description === undefined ? {} : { description: options.description }),
    instruction: 'Log in to {{ web_url }}/login as {{ user }}.',
    inputs: {
      user: { type: 'string', default: 'admin' },
      level: { type: 'integer', minimum: 1, maximum: 5 },
    },
    services: {
      web: { image: 'public.ecr.aws/docker/library/nginx:1.27', ports: [80], env: { MODE: 'ctf' } },
    },
    verification: { method: 'flag', path: '/tmp/flag.txt', value: 'FLAG{demo}' },
  });
  return {
    org,
    name,
    version,
    public: manifest.public,
    description: manifest.description ?? null,
    manifest,
    taskDefinitionArn: `arn:aws:ecs:us-east-1:123456789012:task-definition/taskenv-${org}-${name}:1`,
    createdAt: new Date().toISOString(),
  };
};

const publishAll = async (records: readonly TaskVersionRecord[]): Promise<void> => {
  for (const record of records) await registry.publish(record);
};

describe('DynamoTaskRegistry', () => {
  it('keeps each table its own manifests: the same version in two tables reads back as each stored it', async () => {
    // Prepare: a second table (two local stacks in one process each have their own), and the
    // same org/name@version in both with different images.
    const otherTable = uniqueName('registry');
    await ensureTables(process.env.AWS_ENDPOINT_URL_DYNAMODB ?? 'missing endpoint', {
      table: otherTable,
      idempotencyTable: `${otherTable}-idempotency`,
    });
    const other = new DynamoTaskRegistry({ client: createDocumentClient(), tableName: otherTable });
    const here = makeVersion(uniqueName('org'), uniqueName('task'), '1.0.0');
    const web = here.manifest.services.web;
    if (web === undefined) throw new Error('the fixture has a web service');
    const there: TaskVersionRecord = {
      ...here,
      manifest: { ...here.manifest, services: { web: { ...web, image: 'registry.example/other:2' } } },
    };
    await registry.publish(here);
    await other.publish(there);

    // Act: read through one registry first, so a cache shared between them would answer the other
    const readHere = await registry.get(here.org, here.name, '1.0.0');
    const readThere = await other.get(here.org, here.name, '1.0.0');

    // Assess
    expect(readHere?.manifest.services.web?.image).toBe('public.ecr.aws/docker/library/nginx:1.27');
    expect(readThere?.manifest.services.web?.image).toBe('registry.example/other:2');
  });

  it('reads back exactly the version it published', async () => {
    const record = makeVersion(uniqueName('org'), uniqueName('task'), '1.2.0', {
      description: 'SQL injection',
    });

    await registry.publish(record);

    expect(await registry.get(record.org, record.name, '1.2.0')).toEqual(record);
    expect(await registry.get(record.org, record.name, '1.2.1')).toBeNull();
  });

  it('keeps a version immutable: publishing name@version again fails and changes nothing', async () => {
    // Prepare
    const org = uniqueName('org');
    const name = uniqueName('task');
    const first = makeVersion(org, name, '1.0.0', { description: 'first' });
    await registry.publish(first);

    // Act
    const second = registry.publish(makeVersion(org, name, '1.0.0', { description: 'second', public: true }));

    // Assess
    await expect(second).rejects.toBeInstanceOf(AlreadyExistsError);
    await expect(second).rejects.toThrow(`Task ${org}/${name}@1.0.0 already exists`);
    expect(await registry.get(org, name, '1.0.0')).toEqual(first);
    expect(await registry.candidates(name, uniqueName('org'))).toEqual([]);
  });

  it('resolves the latest version numerically: 1.10.0 over 1.9.0', async () => {
    // Prepare
    const org = uniqueName('org');
    const name = uniqueName('task');
    await publishAll(['1.9.0', '1.10.0', '1.2.0', '0.99.0'].map((v) => makeVersion(org, name, v)));

    // Act
    const candidates = await registry.candidates(name, org);

    // Assess
    expect(candidates.map((c) => c.version).sort()).toEqual(['0.99.0', '1.10.0', '1.2.0', '1.9.0']);
    expect(resolveTask(org, { name }, candidates).version).toBe('1.10.0');
  });

  describe('candidates', () => {
    it("gives the caller's own versions and every public one, each once", async () => {
      // Prepare
      const mine = uniqueName('org');
      const other = uniqueName('org');
      const name = uniqueName('task');
      await publishAll([
        makeVersion(mine, name, '1.0.0'),
        makeVersion(mine, name, '1.1.0', { public: true }),
        makeVersion(other, name, '2.0.0', { public: true }),
        makeVersion(other, name, '3.0.0'),
        makeVersion(mine, uniqueName('task'), '9.0.0', { public: true }),
      ]);

      // Act
      const own = await registry.candidates(name, mine);
      const owner = await registry.candidates(name, mine, other);

      // Assess
      const sorted = (cs: typeof own) => [...cs].sort((a, b) => a.version.localeCompare(b.version));
      expect(sorted(own)).toEqual([
        { org: mine, name, version: '1.0.0', public: false },
        { org: mine, name, version: '1.1.0', public: true },
        { org: other, name, version: '2.0.0', public: true },
      ]);
      // The owner's private versions are returned; resolution, not the registry, hides them.
      expect(sorted(owner).map((c) => `${c.org}@${c.version}`)).toEqual([
        `${mine}@1.1.0`,
        `${other}@2.0.0`,
        `${other}@3.0.0`,
      ]);
      expect(resolveTask(mine, { org: other, name }, owner).version).toBe('2.0.0');
    });

    it('finds nothing for an unknown name', async () => {
      expect(await registry.candidates(uniqueName('task'), uniqueName('org'))).toEqual([]);
    });
  });

  describe('listVisible', () => {
    it("lists the latest of the org's tasks and the latest public version of others'", async () => {
      // Prepare
      const mine = uniqueName('org');
      const other = uniqueName('org');
      const [web, pwn, rev, secret] = [
        uniqueName('web'),
        uniqueName('pwn'),
        uniqueName('rev'),
        uniqueName('s'),
      ];
      await publishAll([
        makeVersion(mine, web, '1.9.0', { public: true }),
        makeVersion(mine, web, '1.10.0'),
        makeVersion(mine, pwn, '0.1.0'),
        makeVersion(other, rev, '1.0.0', { public: true }),
        makeVersion(other, rev, '1.2.0', { public: true }),
        makeVersion(other, rev, '2.0.0'),
        makeVersion(other, secret, '1.0.0'),
      ]);

      // Act
      const visible = await registry.listVisible(mine);

      // Assess
      const ours = visible.filter((r) => r.org === mine || r.org === other);
      expect(ours.map((r) => `${r.org}/${r.name}@${r.version}`).sort()).toEqual(
        [`${mine}/${web}@1.10.0`, `${mine}/${pwn}@0.1.0`, `${other}/${rev}@1.2.0`].sort(),
      );
      expect(ours.find((r) => r.name === web)).toEqual(await registry.get(mine, web, '1.10.0'));
      // Seen from the other org, our private latest is hidden behind the public 1.9.0.
      const fromOther = await registry.listVisible(other);
      expect(fromOther.filter((r) => r.org === mine).map((r) => `${r.name}@${r.version}`)).toEqual([
        `${web}@1.9.0`,
      ]);
    });
  });
});
