import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type FieldError, ValidationError } from '#domain/errors';
import {
  manifestEnvNames,
  parseManifest,
  serviceEndpoints,
  type TaskManifest,
  taskManifestSchema,
} from '#domain/manifest';
import { healthProbe } from '#domain/service-manifest';
import { redactVerification } from '#domain/verification';

/** The example manifest (`docs/design.md`, "Task manifest"), as the JSON it is published as. */
const designExample = () => ({
  name: 'web-sqli',
  version: '1.2.0',
  description: 'SQL injection login bypass',
  public: false,
  instruction: 'Log in to {{ web_url }}/login as admin without the password. Target user: {{ user }}.\n',
  inputs: {
    user: { type: 'string', default: 'admin', description: 'account to take over' },
    level: { type: 'integer', required: true, minimum: 1, maximum: 5 },
  },
  services: {
    web: {
      image: 'public.ecr.aws/docker/library/nginx:1.27',
      ports: [80],
      command: ['nginx', '-g', 'daemon off;'],
      env: { MODE: 'ctf' },
      health: { path: '/', port: 80 },
      local: { command: ['node', 'server.js'] },
    },
  },
  platform: 'linux/amd64',
  resources: { cpu: 256, memory: 512 },
  timeout: { default_sec: 900, max_sec: 3600 },
  verification: { method: 'flag', path: '/tmp/flag.txt', value: 'FLAG{demo}' },
});

const minimal = () => ({
  name: 'hello',
  version: '1.0.0',
  instruction: 'Say hello.',
  services: { web: { image: 'nginx' } } as Record<string, unknown>,
});

/** The `errors` of the ValidationError `act` throws; fails the test if it throws anything else. */
const fieldErrorsOf = (act: () => unknown): readonly FieldError[] => {
  try {
    act();
  } catch (error) {
    if (error instanceof ValidationError) {
      return error.errors;
    }
    throw error;
  }
  throw new Error('expected a ValidationError, nothing was thrown');
};

const locs = (errors: readonly FieldError[]) => errors.map((e) => e.loc);

const withService = (service: Record<string, unknown>) => ({ ...minimal(), services: { web: service } });

/** Fargate's documented task sizes, written out rather than derived from the code under test. */
const FARGATE: Record<number, number[]> = {
  256: [512, 1024, 2048],
  512: [1024, 2048, 3072, 4096],
  1024: [2048, 3072, 4096, 5120, 6144, 7168, 8192],
  2048: [4096, 5120, 6144, 7168, 8192, 9216, 10240, 11264, 12288, 13312, 14336, 15360, 16384],
  4096: Array.from({ length: 23 }, (_, i) => 8192 + i * 1024),
  8192: [16384, 20480, 24576, 28672, 32768, 36864, 40960, 45056, 49152, 53248, 57344, 61440],
  16384: [32768, 40960, 49152, 57344, 65536, 73728, 81920, 90112, 98304, 106496, 114688, 122880],
};

const sizeAccepted = (cpu: number, memory: number): boolean =>
  taskManifestSchema().safeParse({ ...minimal(), resources: { cpu, memory } }).success;

describe('parseManifest', () => {
  it('accepts the example manifest and fills in defaults', () => {
    // Act
    const manifest = parseManifest(designExample());

    // Assess
    expect(manifest).toEqual({
      ...designExample(),
      services: {
        web: {
          ...designExample().services.web,
          health: { path: '/', port: 80, grace_sec: 60 },
          essential: true,
        },
      },
    });
  });

  it('fills in every default of a minimal manifest', () => {
    const manifest = parseManifest(minimal());

    expect(manifest).toEqual({
      name: 'hello',
      version: '1.0.0',
      instruction: 'Say hello.',
      public: false,
      inputs: {},
      services: { web: { image: 'nginx', ports: [], essential: true } },
      platform: 'linux/amd64',
      resources: { cpu: 256, memory: 512 },
      timeout: {},
    });
    expect('verification' in manifest).toBe(false);
    expect('description' in manifest).toBe(false);
  });

  it('rejects a body that is not an object', () => {
    for (const body of [null, [], 'task', 42]) {
      expect(locs(fieldErrorsOf(() => parseManifest(body)))).toEqual([['body']]);
    }
  });

  describe('name', () => {
    it.each(['a', 'web-sqli', '0day', 'a1-b2-c3', 'x'.repeat(64)])('accepts %j', (name) => {
      expect(parseManifest({ ...minimal(), name }).name).toBe(name);
    });

    it.each(['', 'Web', '-web', 'web_sqli', 'web.sqli', 'wéb', 'x'.repeat(65)])('rejects %j', (name) => {
      expect(locs(fieldErrorsOf(() => parseManifest({ ...minimal(), name })))).toEqual([['body', 'name']]);
    });
  });

  describe('version', () => {
    it.each(['0.0.0', '1.2.0', '10.20.30', '0.0.1'])('accepts %j', (version) => {
      expect(parseManifest({ ...minimal(), version }).version).toBe(version);
    });

    it.each([
      '1.2',
      '1',
      '01.2.3',
      '1.02.3',
      '1.2.03',
      '1.2.3-beta.1',
      '1.2.3+build',
      'v1.2.3',
      '1.2.3.4',
      ' 1.2.3',
      '1.2.3\n',
      'latest',
    ])('rejects %j', (version) => {
      expect(locs(fieldErrorsOf(() => parseManifest({ ...minimal(), version })))).toEqual([
        ['body', 'version'],
      ]);
    });
  });

  describe('instruction', () => {
    it('accepts 64 KiB and rejects one byte more, counting UTF-8 bytes', () => {
      // Prepare
      const atLimit = 'x'.repeat(64 * 1024);
      const overLimit = `${atLimit}x`;
      // 'é' is two bytes in UTF-8: fewer than 64 Ki characters, more than 64 KiB.
      const multiByte = 'é'.repeat(32 * 1024 + 1);

      // Act
      const accepted = parseManifest({ ...minimal(), instruction: atLimit });
      const tooLong = fieldErrorsOf(() => parseManifest({ ...minimal(), instruction: overLimit }));
      const tooManyBytes = fieldErrorsOf(() => parseManifest({ ...minimal(), instruction: multiByte }));

      // Assess
      expect(accepted.instruction).toHaveLength(64 * 1024);
      expect(locs(tooLong)).toEqual([['body', 'instruction']]);
      expect(locs(tooManyBytes)).toEqual([['body', 'instruction']]);
    });

    it('is required', () => {
      const { instruction: _dropped, ...rest } = minimal();

      expect(fieldErrorsOf(() => parseManifest(rest))).toEqual([
        { loc: ['body', 'instruction'], msg: 'Expected string', type: 'invalid_type' },
      ]);
    });
  });

  describe('unknown keys', () => {
    it.each([
      [{ ...minimal(), extra: 1 }, ['body', 'extra']],
      [withService({ image: 'nginx', gpu: true }), ['body', 'services', 'web', 'gpu']],
      [
        withService({ image: 'nginx', ports: [80], health: { path: '/', port: 80, timeout: 5 } }),
        ['body', 'services', 'web', 'health', 'timeout'],
      ],
      [
        withService({ image: 'nginx', local: { command: ['x'], cwd: '/' } }),
        ['body', 'services', 'web', 'local', 'cwd'],
      ],
      [
        { ...minimal(), inputs: { user: { type: 'string', pattern: '.*' } } },
        ['body', 'inputs', 'user', 'pattern'],
      ],
      [{ ...minimal(), resources: { cpu: 256, memory: 512, gpu: 1 } }, ['body', 'resources', 'gpu']],
      [{ ...minimal(), timeout: { default_sec: 900, idle_sec: 60 } }, ['body', 'timeout', 'idle_sec']],
    ])('rejects %j at the unknown key', (manifest, loc) => {
      expect(fieldErrorsOf(() => parseManifest(manifest))).toEqual([
        { loc, msg: 'Unknown field', type: 'unrecognized_keys' },
      ]);
    });

    it('keeps the extra settings of a verification method', () => {
      const verification = { method: 'http', url_path: '/check', expected_status: 200 };

      expect(parseManifest({ ...minimal(), verification }).verification).toEqual(verification);
    });

    it('requires a verification method', () => {
      expect(
        locs(fieldErrorsOf(() => parseManifest({ ...minimal(), verification: { value: 'x' } }))),
      ).toEqual([['body', 'verification', 'method']]);
    });
  });

  describe('resources (Fargate task sizes)', () => {
    it('accepts every documented cpu/memory pair', () => {
      for (const [cpu, memories] of Object.entries(FARGATE)) {
        for (const memory of memories) {
          expect(sizeAccepted(Number(cpu), memory), `${cpu}/${memory}`).toBe(true);
        }
      }
    });

    it('rejects every other pair on a 256 MiB grid up to 128 GiB', () => {
      // Prepare
      const cpus = [128, 256, 300, 512, 1024, 2048, 4096, 8192, 16384, 32768];
      const wronglyAccepted: string[] = [];

      // Act
      for (const cpu of cpus) {
        for (let memory = 256; memory <= 131072; memory += 256) {
          const valid = FARGATE[cpu]?.includes(memory) ?? false;
          if (!valid && sizeAccepted(cpu, memory)) {
            wronglyAccepted.push(`${cpu}/${memory}`);
          }
        }
      }

      // Assess
      expect(wronglyAccepted).toEqual([]);
    });

    it('names the field and the allowed values', () => {
      const badMemory = fieldErrorsOf(() =>
        parseManifest({ ...minimal(), resources: { cpu: 512, memory: 512 } }),
      );
      const badCpu = fieldErrorsOf(() =>
        parseManifest({ ...minimal(), resources: { cpu: 768, memory: 2048 } }),
      );

      expect(badMemory).toEqual([
        {
          loc: ['body', 'resources', 'memory'],
          msg: 'memory for cpu 512 must be one of 1024, 2048, 3072, 4096',
          type: 'custom',
        },
      ]);
      expect(badCpu).toEqual([
        {
          loc: ['body', 'resources', 'cpu'],
          msg: 'cpu must be one of 256, 512, 1024, 2048, 4096, 8192, 16384',
          type: 'custom',
        },
      ]);
    });

    it('rejects a fractional or missing size', () => {
      expect(
        locs(fieldErrorsOf(() => parseManifest({ ...minimal(), resources: { cpu: 256.5, memory: 512 } }))),
      ).toEqual([['body', 'resources', 'cpu']]);
      expect(locs(fieldErrorsOf(() => parseManifest({ ...minimal(), resources: { cpu: 256 } })))).toEqual([
        ['body', 'resources', 'memory'],
      ]);
    });
  });

  describe('services', () => {
    it('requires at least one service', () => {
      const { services: _dropped, ...rest } = minimal();

      expect(locs(fieldErrorsOf(() => parseManifest({ ...minimal(), services: {} })))).toEqual([
        ['body', 'services'],
      ]);
      expect(locs(fieldErrorsOf(() => parseManifest(rest)))).toEqual([['body', 'services']]);
    });

    it('allows at most 10 services (one ECS container each)', () => {
      const services = (count: number) =>
        Object.fromEntries(Array.from({ length: count }, (_, i) => [`s${i}`, { image: 'nginx' }]));

      expect(Object.keys(parseManifest({ ...minimal(), services: services(10) }).services)).toHaveLength(10);
      expect(locs(fieldErrorsOf(() => parseManifest({ ...minimal(), services: services(11) })))).toEqual([
        ['body', 'services'],
      ]);
    });

    it.each(['web', 'my-web', 'db2', 'x'.repeat(32)])('accepts the service name %j', (name) => {
      expect(
        Object.keys(parseManifest({ ...minimal(), services: { [name]: { image: 'nginx' } } }).services),
      ).toEqual([name]);
    });

    it.each(['Web', '1web', '-web', 'my_web', 'x'.repeat(33)])(
      'rejects the service name %j at its key',
      (name) => {
        expect(
          fieldErrorsOf(() => parseManifest({ ...minimal(), services: { [name]: { image: 'nginx' } } })),
        ).toEqual([expect.objectContaining({ loc: ['body', 'services', name], type: 'invalid_key' })]);
      },
    );

    it('requires an image', () => {
      expect(locs(fieldErrorsOf(() => parseManifest(withService({ ports: [80] }))))).toEqual([
        ['body', 'services', 'web', 'image'],
      ]);
      expect(locs(fieldErrorsOf(() => parseManifest(withService({ image: '' }))))).toEqual([
        ['body', 'services', 'web', 'image'],
      ]);
    });

    it('accepts ports 1 and 65535', () => {
      expect(parseManifest(withService({ image: 'nginx', ports: [1, 65535] })).services.web?.ports).toEqual([
        1, 65535,
      ]);
    });

    it.each([0, 65536, -1, 80.5])('rejects port %j', (port) => {
      expect(
        locs(fieldErrorsOf(() => parseManifest(withService({ image: 'nginx', ports: [port] })))),
      ).toEqual([['body', 'services', 'web', 'ports', 0]]);
    });

    it('rejects a port listed twice in one service, at the repeat', () => {
      expect(
        fieldErrorsOf(() => parseManifest(withService({ image: 'nginx', ports: [80, 443, 80] }))),
      ).toEqual([{ loc: ['body', 'services', 'web', 'ports', 2], msg: 'Duplicate port 80', type: 'custom' }]);
    });

    it('rejects the same port in two services: the containers of a task share one network (awsvpc)', () => {
      const errors = fieldErrorsOf(() =>
        parseManifest({
          ...minimal(),
          services: { web: { image: 'nginx', ports: [80] }, api: { image: 'node', ports: [80] } },
        }),
      );

      expect(locs(errors)).toEqual([['body', 'services', 'api', 'ports', 0]]);
    });

    it('requires the health probe to use an exposed port and an absolute path', () => {
      const wrongPort = fieldErrorsOf(() =>
        parseManifest(withService({ image: 'nginx', ports: [80], health: { path: '/', port: 8080 } })),
      );
      const relativePath = fieldErrorsOf(() =>
        parseManifest(withService({ image: 'nginx', ports: [80], health: { path: 'healthz', port: 80 } })),
      );

      expect(locs(wrongPort)).toEqual([['body', 'services', 'web', 'health', 'port']]);
      expect(locs(relativePath)).toEqual([['body', 'services', 'web', 'health', 'path']]);
    });

    it('accepts a health command instead of an HTTP probe, with a grace period of at most 300 s', () => {
      const manifest = parseManifest(
        withService({
          image: 'redis',
          ports: [6379],
          health: { command: ['redis-cli', 'ping'], grace_sec: 20 },
        }),
      );

      expect(manifest.services.web?.health).toEqual({ command: ['redis-cli', 'ping'], grace_sec: 20 });
      expect(
        locs(
          fieldErrorsOf(() =>
            parseManifest(withService({ image: 'redis', health: { command: ['true'], grace_sec: 301 } })),
          ),
        ),
      ).toEqual([['body', 'services', 'web', 'health', 'grace_sec']]);
    });

    it('takes either an HTTP probe or a command, never both or half of one', () => {
      const both = fieldErrorsOf(() =>
        parseManifest(
          withService({ image: 'nginx', ports: [80], health: { path: '/', port: 80, command: ['true'] } }),
        ),
      );
      const pathOnly = fieldErrorsOf(() =>
        parseManifest(withService({ image: 'nginx', health: { path: '/' } })),
      );
      const neither = fieldErrorsOf(() => parseManifest(withService({ image: 'nginx', health: {} })));

      expect(locs(both)).toEqual([['body', 'services', 'web', 'health', 'command']]);
      expect(locs(pathOnly)).toEqual([['body', 'services', 'web', 'health', 'port']]);
      expect(locs(neither)).toEqual([['body', 'services', 'web', 'health']]);
    });

    it('rejects an empty command and a local runtime without a command', () => {
      expect(locs(fieldErrorsOf(() => parseManifest(withService({ image: 'nginx', command: [] }))))).toEqual([
        ['body', 'services', 'web', 'command'],
      ]);
      expect(locs(fieldErrorsOf(() => parseManifest(withService({ image: 'nginx', local: {} }))))).toEqual([
        ['body', 'services', 'web', 'local', 'command'],
      ]);
    });

    it('requires at least one essential service', () => {
      const manifest = {
        ...minimal(),
        services: { web: { image: 'nginx', essential: false }, db: { image: 'postgres', essential: false } },
      };

      expect(locs(fieldErrorsOf(() => parseManifest(manifest)))).toEqual([['body', 'services']]);
      expect(
        parseManifest({ ...manifest, services: { ...manifest.services, db: { image: 'postgres' } } }).services
          .db?.essential,
      ).toBe(true);
    });

    it('rejects services whose endpoint keys collide', () => {
      // `web` with two ports publishes `web_80`, which is also what a single-port `web-80` publishes.
      const manifest = {
        ...minimal(),
        services: { web: { image: 'nginx', ports: [80, 443] }, 'web-80': { image: 'nginx', ports: [8080] } },
      };

      expect(fieldErrorsOf(() => parseManifest(manifest))).toEqual([
        {
          loc: ['body', 'services', 'web-80'],
          msg: "Endpoint key 'web_80' is also used by service 'web'",
          type: 'custom',
        },
      ]);
    });
  });

  describe('service environment', () => {
    it('accepts conventional names, on AWS and in the local runtime', () => {
      const env = { MODE: 'ctf', _PRIVATE: 'x', DB_URL_2: 'postgres://', TASKENV: 'not the prefix' };
      const manifest = parseManifest(withService({ image: 'nginx', env, local: { command: ['node'], env } }));

      expect(manifest.services.web?.env).toEqual(env);
      expect(manifest.services.web?.local?.env).toEqual(env);
    });

    it.each(['TASKENV_EXECUTE_TOKEN', 'TASKENV_'])('reserves %j for taskenv', (name) => {
      // Prepare
      const env = { [name]: 'spoofed' };

      // Act
      const onAws = fieldErrorsOf(() => parseManifest(withService({ image: 'nginx', env })));
      const locally = fieldErrorsOf(() =>
        parseManifest(withService({ image: 'nginx', local: { command: ['node'], env } })),
      );

      // Assess
      expect(onAws).toEqual([
        {
          loc: ['body', 'services', 'web', 'env', name],
          msg: 'Names starting with TASKENV_ are reserved for taskenv',
          type: 'invalid_key',
        },
      ]);
      expect(locs(locally)).toEqual([['body', 'services', 'web', 'local', 'env', name]]);
    });

    it.each(['mode', '1MODE', 'MY-VAR', 'MY VAR', ''])('rejects the name %j', (name) => {
      expect(
        locs(fieldErrorsOf(() => parseManifest(withService({ image: 'nginx', env: { [name]: 'x' } })))),
      ).toEqual([['body', 'services', 'web', 'env', name]]);
    });

    it('only takes string values', () => {
      expect(
        locs(fieldErrorsOf(() => parseManifest(withService({ image: 'nginx', env: { PORT: 80 } })))),
      ).toEqual([['body', 'services', 'web', 'env', 'PORT']]);
    });
  });

  describe('timeout', () => {
    it('accepts bounds 60 and 86400, either field alone, and default equal to max', () => {
      expect(parseManifest({ ...minimal(), timeout: { default_sec: 60, max_sec: 86400 } }).timeout).toEqual({
        default_sec: 60,
        max_sec: 86400,
      });
      expect(parseManifest({ ...minimal(), timeout: { max_sec: 600 } }).timeout).toEqual({ max_sec: 600 });
      expect(parseManifest({ ...minimal(), timeout: { default_sec: 600, max_sec: 600 } }).timeout).toEqual({
        default_sec: 600,
        max_sec: 600,
      });
    });

    it.each([
      [{ default_sec: 59 }, ['body', 'timeout', 'default_sec']],
      [{ max_sec: 86401 }, ['body', 'timeout', 'max_sec']],
      [{ default_sec: 90.5 }, ['body', 'timeout', 'default_sec']],
      [{ default_sec: 3600, max_sec: 900 }, ['body', 'timeout', 'default_sec']],
    ])('rejects %j', (timeout, loc) => {
      expect(locs(fieldErrorsOf(() => parseManifest({ ...minimal(), timeout })))).toEqual([loc]);
    });
  });

  describe('input declarations', () => {
    const withInput = (declaration: Record<string, unknown>, name = 'x') => ({
      ...minimal(),
      inputs: { [name]: declaration },
    });

    it.each(['x', '_x', 'user_name', 'level2'])('accepts the input name %j', (name) => {
      expect(Object.keys(parseManifest(withInput({ type: 'string' }, name)).inputs)).toEqual([name]);
    });

    it.each(['User', '1x', 'user-name', 'user.name', ''])('rejects the input name %j at its key', (name) => {
      expect(locs(fieldErrorsOf(() => parseManifest(withInput({ type: 'string' }, name))))).toEqual([
        ['body', 'inputs', name],
      ]);
    });

    it.each(['environment_id', 'web_url', 'web_host', 'web_port'])(
      'rejects the input name %j, which taskenv provides itself',
      (name) => {
        const manifest = {
          ...withInput({ type: 'string' }, name),
          services: { web: { image: 'nginx', ports: [80] } },
        };

        expect(locs(fieldErrorsOf(() => parseManifest(manifest)))).toEqual([['body', 'inputs', name]]);
      },
    );

    it('accepts every type with a consistent default and enum', () => {
      const inputs = {
        s: { type: 'string', default: 'b', enum: ['a', 'b'] },
        i: { type: 'integer', default: 3, enum: [1, 3], minimum: 1, maximum: 3 },
        n: { type: 'number', default: 0.5, minimum: 0, maximum: 1 },
        b: { type: 'boolean', default: false, description: 'verbose' },
        r: { type: 'integer', required: true },
      };

      expect(parseManifest({ ...minimal(), inputs }).inputs).toEqual(inputs);
    });

    it.each([
      ['an unknown type', { type: 'float' }, ['type'], 'invalid_value'],
      ['a default of the wrong type', { type: 'integer', default: '3' }, ['default'], 'custom'],
      ['a fractional default for an integer', { type: 'integer', default: 1.5 }, ['default'], 'custom'],
      ['a default below the minimum', { type: 'integer', default: 0, minimum: 1 }, ['default'], 'custom'],
      ['a default above the maximum', { type: 'number', default: 9.5, maximum: 9 }, ['default'], 'custom'],
      [
        'a default outside the enum',
        { type: 'string', default: 'c', enum: ['a', 'b'] },
        ['default'],
        'custom',
      ],
      ['an enum value of the wrong type', { type: 'string', enum: ['a', 2] }, ['enum', 1], 'custom'],
      ['an enum value out of bounds', { type: 'integer', enum: [1, 10], maximum: 5 }, ['enum', 1], 'custom'],
      ['a duplicate enum value', { type: 'string', enum: ['a', 'b', 'a'] }, ['enum', 2], 'custom'],
      ['an empty enum', { type: 'string', enum: [] }, ['enum'], 'too_small'],
      ['minimum above maximum', { type: 'number', minimum: 5, maximum: 1 }, ['minimum'], 'custom'],
      ['a minimum on a string', { type: 'string', minimum: 1 }, ['minimum'], 'custom'],
      ['a maximum on a boolean', { type: 'boolean', maximum: 1 }, ['maximum'], 'custom'],
      [
        'a required input with a default',
        { type: 'string', required: true, default: 'a' },
        ['default'],
        'custom',
      ],
      ['a non-boolean required flag', { type: 'string', required: 'yes' }, ['required'], 'invalid_type'],
    ])('rejects %s', (_case, declaration, path, type) => {
      expect(fieldErrorsOf(() => parseManifest(withInput(declaration)))).toEqual([
        expect.objectContaining({ loc: ['body', 'inputs', 'x', ...path], type }),
      ]);
    });

    it('explains a default that breaks its own declaration', () => {
      expect(
        fieldErrorsOf(() => parseManifest(withInput({ type: 'integer', default: 7, maximum: 5 }))),
      ).toEqual([{ loc: ['body', 'inputs', 'x', 'default'], msg: 'Must be at most 5', type: 'custom' }]);
    });
  });

  describe('instruction variables', () => {
    it('accepts declared inputs, service variables, environment_id and template locals', () => {
      // Prepare
      const manifest = {
        ...designExample(),
        instruction: [
          'Env {{ environment_id }}: open {{ web_url }} ({{ web_host }}:{{ web_port }}) as {{ user }}.',
          '{% assign stars = level | times: 1 %}{% for i in (1..stars) %}*{% endfor %}',
          '{% capture note %}level {{ level }}{% endcapture %}{{ note | upcase }}',
        ].join('\n'),
      };

      // Act
      const parsed = parseManifest(manifest);

      // Assess
      expect(parsed.instruction).toBe(manifest.instruction);
    });

    it('rejects an undeclared variable, naming it', () => {
      const manifest = { ...designExample(), instruction: 'Hi {{ usr }}, open {{ web_url }}.' };

      expect(fieldErrorsOf(() => parseManifest(manifest))).toEqual([
        {
          loc: ['body', 'instruction'],
          msg: "Unknown variable 'usr': declare it as an input or use a service variable or environment_id",
          type: 'unknown_variable',
        },
      ]);
    });

    it('names every unknown variable once, including those only used in conditions and filters', () => {
      const manifest = {
        ...designExample(),
        instruction: '{% if debug %}{{ user | append: suffix }}{% endif %}{{ debug }}{{ api_url }}',
      };

      expect(fieldErrorsOf(() => parseManifest(manifest)).map((e) => e.msg.split(':')[0])).toEqual([
        "Unknown variable 'debug'",
        "Unknown variable 'suffix'",
        "Unknown variable 'api_url'",
      ]);
    });

    it('rejects service variables of endpoints that do not exist', () => {
      // `web` exposes two ports, so its variables are web_80_url and web_443_url, not web_url.
      const manifest = {
        ...minimal(),
        instruction: '{{ web_80_url }} {{ web_url }}',
        services: { web: { image: 'nginx', ports: [80, 443] } },
      };

      expect(fieldErrorsOf(() => parseManifest(manifest)).map((e) => e.msg)).toEqual([
        expect.stringContaining("'web_url'"),
      ]);
    });

    it('rejects a template that does not parse', () => {
      const errors = fieldErrorsOf(() => parseManifest({ ...minimal(), instruction: 'Hi {{ user ' }));

      expect(errors).toEqual([
        expect.objectContaining({ loc: ['body', 'instruction'], type: 'invalid_template' }),
      ]);
    });

    it('rejects a template that includes a file', () => {
      const errors = fieldErrorsOf(() =>
        parseManifest({ ...minimal(), instruction: '{% include "/etc/passwd" %}' }),
      );

      expect(errors).toEqual([
        expect.objectContaining({ loc: ['body', 'instruction'], type: 'invalid_template' }),
      ]);
      expect(errors[0]?.msg).not.toContain('root:');
    });
  });
});

describe('serviceEndpoints', () => {
  const services = (definitions: Record<string, number[]>): Pick<TaskManifest, 'services'> => ({
    services: Object.fromEntries(
      Object.entries(definitions).map(([name, ports]) => [name, { image: 'nginx', ports, essential: true }]),
    ),
  });

  it('keys a single-port service by its name', () => {
    expect(serviceEndpoints(services({ web: [80] }))).toEqual([{ key: 'web', service: 'web', port: 80 }]);
  });

  it('keys each port of a multi-port service as <service>_<port>, in declared order', () => {
    expect(serviceEndpoints(services({ web: [443, 80] }))).toEqual([
      { key: 'web_443', service: 'web', port: 443 },
      { key: 'web_80', service: 'web', port: 80 },
    ]);
  });

  it('turns dashes in service names into underscores in the key only', () => {
    expect(serviceEndpoints(services({ 'my-web': [80], 'admin-api': [8080, 9090] }))).toEqual([
      { key: 'my_web', service: 'my-web', port: 80 },
      { key: 'admin_api_8080', service: 'admin-api', port: 8080 },
      { key: 'admin_api_9090', service: 'admin-api', port: 9090 },
    ]);
  });

  it('exposes nothing for a service without ports', () => {
    expect(serviceEndpoints(services({ worker: [], web: [80] }))).toEqual([
      { key: 'web', service: 'web', port: 80 },
    ]);
  });

  it('gives the example manifest one endpoint `web`', () => {
    expect(serviceEndpoints(parseManifest(designExample()))).toEqual([
      { key: 'web', service: 'web', port: 80 },
    ]);
  });
});

describe('redactVerification', () => {
  // SHA-256 of "abc" (FIPS 180-2, appendix B.1).
  const SHA256_ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

  it('hashes the answer and keeps method and path', () => {
    expect(redactVerification({ method: 'flag', path: '/tmp/flag.txt', value: 'abc' })).toEqual({
      method: 'flag',
      path: '/tmp/flag.txt',
      value: SHA256_ABC,
    });
  });

  it('hashes every answer key, whatever its case', () => {
    const redacted = redactVerification({
      method: 'm',
      answer: 'abc',
      flag: 'abc',
      expected: 'abc',
      Value: 'abc',
    });

    expect(redacted).toEqual({
      method: 'm',
      answer: SHA256_ABC,
      flag: SHA256_ABC,
      expected: SHA256_ABC,
      Value: SHA256_ABC,
    });
  });

  it('hashes answers nested in objects and lists', () => {
    // Prepare
    const verification = {
      method: 'multi',
      checks: [{ path: '/a', value: 'abc' }, { nested: { flag: 'abc' } }],
    };

    // Act
    const redacted = redactVerification(verification);

    // Assess
    expect(redacted).toEqual({
      method: 'multi',
      checks: [{ path: '/a', value: SHA256_ABC }, { nested: { flag: SHA256_ABC } }],
    });
    expect(JSON.stringify(redacted)).not.toContain('"abc"');
  });

  it('hashes non-string answers by their JSON text rather than leaking them', () => {
    const redacted = redactVerification({ method: 'sum', expected: 42, answer: ['FLAG{a}', 'FLAG{b}'] });

    expect(redacted).toEqual({
      method: 'sum',
      expected: sha256('42'),
      answer: sha256('["FLAG{a}","FLAG{b}"]'),
    });
  });

  it('leaves its argument untouched', () => {
    const verification = { method: 'flag', value: 'FLAG{demo}' };

    redactVerification(verification);

    expect(verification.value).toBe('FLAG{demo}');
  });

  it('answers null when the task has no verification', () => {
    expect(redactVerification(undefined)).toBeNull();
    expect(redactVerification(null)).toBeNull();
    expect(redactVerification(parseManifest(minimal()).verification)).toBeNull();
  });

  it('redacts the example manifest', () => {
    expect(redactVerification(parseManifest(designExample()).verification)).toEqual({
      method: 'flag',
      path: '/tmp/flag.txt',
      value: sha256('FLAG{demo}'),
    });
  });
});

describe('platform', () => {
  it('is linux/amd64 unless the manifest says linux/arm64, and nothing else', () => {
    expect(parseManifest(minimal()).platform).toBe('linux/amd64');
    expect(parseManifest({ ...minimal(), platform: 'linux/arm64' }).platform).toBe('linux/arm64');
    expect(locs(fieldErrorsOf(() => parseManifest({ ...minimal(), platform: 'windows/amd64' })))).toEqual([
      ['body', 'platform'],
    ]);
  });
});

describe('what a manifest author reads', () => {
  const refusals = (json: unknown) => fieldErrorsOf(() => parseManifest(json));
  const withInput = (declaration: Record<string, unknown>) => ({
    ...minimal(),
    inputs: { level: declaration },
  });

  it.each([
    [
      'a bound on a string input',
      withInput({ type: 'string', minimum: 1 }),
      {
        loc: ['body', 'inputs', 'level', 'minimum'],
        msg: 'minimum applies only to integer and number inputs',
      },
    ],
    [
      'a minimum over the maximum',
      withInput({ type: 'integer', minimum: 5, maximum: 4 }),
      { loc: ['body', 'inputs', 'level', 'minimum'], msg: 'minimum must not exceed maximum' },
    ],
    [
      'an enum value twice',
      withInput({ type: 'integer', enum: [1, 2, 1] }),
      { loc: ['body', 'inputs', 'level', 'enum', 2], msg: 'Duplicate value' },
    ],
    [
      'a required input with a default',
      withInput({ type: 'integer', required: true, default: 1 }),
      { loc: ['body', 'inputs', 'level', 'default'], msg: 'A required input cannot have a default' },
    ],
    [
      'a default over the maximum run time',
      { ...minimal(), timeout: { default_sec: 3601, max_sec: 3600 } },
      { loc: ['body', 'timeout', 'default_sec'], msg: 'default_sec must not exceed max_sec' },
    ],
    [
      'no service',
      { ...minimal(), services: {} },
      { loc: ['body', 'services'], msg: 'At least one service is required' },
    ],
    [
      'eleven services',
      {
        ...minimal(),
        services: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`s${i}`, { image: 'nginx' }])),
      },
      { loc: ['body', 'services'], msg: 'At most 10 services are allowed' },
    ],
    [
      'no essential service',
      withService({ image: 'nginx', essential: false }),
      { loc: ['body', 'services'], msg: 'At least one service must be essential' },
    ],
    [
      'an instruction over its byte limit',
      { ...minimal(), instruction: 'é'.repeat(32769) },
      { loc: ['body', 'instruction'], msg: 'Must be at most 65536 bytes' },
    ],
  ])('refuses %s, saying so', (_what, json, expected) => {
    expect(refusals(json)).toEqual([{ ...expected, type: 'custom' }]);
  });

  it('names the service that already exposes a port, and the input that shadows a service variable', () => {
    const json = {
      ...minimal(),
      inputs: { web_url: { type: 'string' } },
      services: { web: { image: 'nginx', ports: [80] }, api: { image: 'api', ports: [80] } },
    };
    expect(refusals(json)).toEqual([
      {
        loc: ['body', 'services', 'api', 'ports', 0],
        msg: "Port 80 is also exposed by service 'web'; the services of a task share one network",
        type: 'custom',
      },
      {
        loc: ['body', 'inputs', 'web_url'],
        msg: "'web_url' is a variable taskenv provides to the instruction; rename the input",
        type: 'custom',
      },
    ]);
  });

  it('takes a minimum equal to the maximum and a default run time equal to the maximum', () => {
    const json = {
      ...withInput({ type: 'integer', minimum: 3, maximum: 3 }),
      timeout: { default_sec: 60, max_sec: 60 },
    };
    expect(parseManifest(json).timeout).toEqual({ default_sec: 60, max_sec: 60 });
  });

  it('quotes the rule a bad name breaks', () => {
    expect(refusals({ ...minimal(), name: 'Hello' }).map((e) => e.msg)).toEqual([
      'Must match [a-z0-9][a-z0-9-]*',
    ]);
    expect(refusals({ ...minimal(), services: { Web: { image: 'nginx' } } }).map((e) => e.msg)).toEqual([
      'Must match [a-z][a-z0-9-]*',
    ]);
    expect(refusalsOrNone(() => parseManifest(withInput({ type: 'string' })))).toEqual([]);
    expect(refusals({ ...minimal(), inputs: { Level: { type: 'string' } } }).map((e) => e.msg)).toEqual([
      'Must match [a-z_][a-z0-9_]*',
    ]);
    expect(refusals(withService({ image: 'nginx', env: { lower: 'x' } })).map((e) => [e.loc, e.msg])).toEqual(
      [[['body', 'services', 'web', 'env', 'lower'], 'Must match [A-Z_][A-Z0-9_]*']],
    );
  });

  it("refuses a manifest nested deeper than one level under DynamoDB's limit", () => {
    const nested = (depth: number): Record<string, unknown> =>
      depth === 0 ? { leaf: 1 } : { deeper: nested(depth - 1) };
    const at = (depth: number) => ({ ...minimal(), verification: { method: 'm', deeper: nested(depth) } });
    let deepest = 0;
    while (refusalsOrNone(() => parseManifest(at(deepest + 1))).length === 0) deepest++;
    // The manifest, its verification and 29 nested objects: 31 levels, one under DynamoDB's 32.
    expect(deepest).toBe(28);
    expect(refusals(at(deepest + 1)).map((e) => e.type)).toEqual(['too_deep']);
  });

  it('refuses a template whose sample render would exceed the rendered-instruction limit', () => {
    const json = { ...minimal(), instruction: `{% for i in (1..300) %}${'x'.repeat(1000)}{% endfor %}` };
    expect(refusals(json).map((e) => e.msg)).toEqual(['The rendered instruction would exceed 262144 bytes']);
  });
});

const refusalsOrNone = (act: () => unknown): readonly FieldError[] => {
  try {
    act();
    return [];
  } catch (error) {
    if (error instanceof ValidationError) return error.errors;
    throw error;
  }
};

describe('a service health probe', () => {
  const healthRefusals = (health: Record<string, unknown>, ports = [80]) =>
    fieldErrorsOf(() => parseManifest(withService({ image: 'nginx', ports, health })));

  it.each([
    [
      { path: '/', port: 80, command: ['true'] },
      ['command'],
      'Give either path and port (an HTTP probe) or command, not both',
    ],
    [{}, [], 'Give path and port, or command'],
    [{ path: '/' }, ['port'], 'An HTTP probe needs both path and port'],
    [{ port: 80 }, ['path'], 'An HTTP probe needs both path and port'],
    [{ path: 'health', port: 80 }, ['path'], 'Must start with /'],
    [{ path: '/', port: 81 }, ['port'], 'The health port must be one of the service ports'],
  ])('refuses %j, saying so', (health, at, msg) => {
    expect(healthRefusals(health).map((e) => [e.loc, e.msg, e.type])).toEqual([
      [
        ['body', 'services', 'web', 'health', ...at],
        msg,
        msg === 'Must start with /' ? 'invalid_format' : 'custom',
      ],
    ]);
  });

  it('reads the probe a service declares, with its grace period', () => {
    const probe = (health: Record<string, unknown>) =>
      healthProbe(parseManifest(withService({ image: 'nginx', ports: [80], health })).services.web ?? {});
    expect(probe({ path: '/healthz', port: 80 })).toEqual({
      kind: 'http',
      path: '/healthz',
      port: 80,
      graceSec: 60,
    });
    expect(probe({ command: ['pg_isready'], grace_sec: 5 })).toEqual({
      kind: 'command',
      command: ['pg_isready'],
      graceSec: 5,
    });
    expect(healthProbe({})).toBeNull();
    expect(healthProbe({ health: { path: '/', grace_sec: 1 } })).toBeNull();
  });
});

describe('manifestEnvNames', () => {
  it('lists every variable any service sets, on ECS and locally', () => {
    const manifest = parseManifest({
      ...minimal(),
      services: {
        web: { image: 'nginx', env: { MODE: 'x' }, local: { command: ['node'], env: { PORT_HINT: '1' } } },
        db: { image: 'postgres', local: { command: ['pg'] } },
        cache: { image: 'redis' },
      },
    });
    expect(manifestEnvNames(manifest)).toEqual(new Set(['MODE', 'PORT_HINT']));
  });
});
