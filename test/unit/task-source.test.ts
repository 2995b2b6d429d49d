import { describe, expect, it } from 'vitest';
import { ecrRepositoryParts, repositoryTag } from '#cli/task-images';
import { type FieldError, ValidationError } from '#domain/errors';
import { parseManifest } from '#domain/manifest';
import { BUILD_NOT_PUBLISHABLE } from '#domain/service-manifest';
import { builtImageTag, parseTaskSource, withBuiltImages } from '#domain/task-source';

/** A task directory's manifest: `web` is built from `challenge/`, `db` is a registry image. */
const source = () => ({
  name: 'web-sqli',
  version: '1.2.0',
  instruction: 'Log in to {{ web_url }}.',
  services: {
    web: { build: { context: 'challenge', dockerfile: 'web.Dockerfile' }, ports: [80] } as Record<
      string,
      unknown
    >,
    db: { image: 'postgres:16', essential: false } as Record<string, unknown>,
  },
});

const fieldErrorsOf = (act: () => unknown): readonly FieldError[] => {
  try {
    act();
  } catch (error) {
    if (error instanceof ValidationError) return error.errors;
    throw error;
  }
  throw new Error('expected a ValidationError, nothing was thrown');
};

describe('publishing a manifest with build (the API)', () => {
  it('is a 422 at each build key that names `taskenv task push`', () => {
    // Act
    const errors = fieldErrorsOf(() => parseManifest(source()));

    // Assess
    expect(errors).toEqual([
      {
        loc: ['body', 'services', 'web', 'build'],
        msg: BUILD_NOT_PUBLISHABLE,
        type: 'build_not_publishable',
      },
    ]);
    expect(errors[0]?.msg).toContain('taskenv task push');
  });
});

describe('parseTaskSource', () => {
  it('returns the name, version and the services to build, in manifest order', () => {
    // Prepare
    const manifest = source();
    manifest.services.db = { build: { context: '.' }, essential: false };

    // Act
    const parsed = parseTaskSource(manifest);

    // Assess
    expect(parsed).toEqual({
      name: 'web-sqli',
      version: '1.2.0',
      builds: new Map([
        ['web', { context: 'challenge', dockerfile: 'web.Dockerfile' }],
        ['db', { context: '.' }],
      ]),
    });
  });

  it('applies every rule of the API to the rest of the manifest', () => {
    // Prepare
    const manifest = { ...source(), instruction: 'Use {{ nope }}.' };
    manifest.services.web = { build: { context: 'challenge' }, ports: [80, 80] };

    // Act
    const errors = fieldErrorsOf(() => parseTaskSource(manifest));

    // Assess
    expect(errors.map((e) => e.loc)).toEqual([['body', 'services', 'web', 'ports', 1]]);
  });

  it('refuses a service with both image and build, or with neither', () => {
    // Prepare
    const both = source();
    both.services.web = { image: 'nginx', build: { context: 'challenge' }, ports: [80] };
    const neither = source();
    neither.services.web = { ports: [80] };

    // Act + Assess
    expect(fieldErrorsOf(() => parseTaskSource(both))).toEqual([
      {
        loc: ['body', 'services', 'web'],
        msg: 'Give either image or build, not both',
        type: 'image_or_build',
      },
    ]);
    expect(fieldErrorsOf(() => parseTaskSource(neither)).map((e) => e.loc)).toEqual([
      ['body', 'services', 'web', 'image'],
    ]);
  });

  it.each([
    ['/srv/challenge', 'context'],
    ['../elsewhere', 'context'],
    ['challenge/../../up', 'context'],
    ['C:\\challenge', 'context'],
    ['', 'context'],
  ])('refuses the context %j: build paths stay inside the task directory', (context, key) => {
    // Prepare
    const manifest = source();
    manifest.services.web = { build: { context }, ports: [80] };

    // Act
    const errors = fieldErrorsOf(() => parseTaskSource(manifest));

    // Assess
    expect(errors.map((e) => e.loc)).toEqual([['body', 'services', 'web', 'build', key]]);
  });

  it('refuses a dockerfile outside the context and an unknown build key', () => {
    // Prepare
    const manifest = source();
    manifest.services.web = {
      build: { context: 'challenge', dockerfile: '../Dockerfile', target: 'x' },
      ports: [80],
    };

    // Act
    const errors = fieldErrorsOf(() => parseTaskSource(manifest));

    // Assess
    expect(errors.map((e) => [e.loc, e.msg])).toEqual([
      [
        ['body', 'services', 'web', 'build', 'dockerfile'],
        'Must be a relative path inside the task directory',
      ],
      [['body', 'services', 'web', 'build', 'target'], 'Unknown field'],
    ]);
  });
});

describe('withBuiltImages', () => {
  it('replaces each build with its image and leaves everything else as written', () => {
    // Act
    const published = withBuiltImages(source(), new Map([['web', 'repo@sha256:abc']]));

    // Assess: the API takes it
    expect(published).toEqual({
      ...source(),
      services: {
        web: { ports: [80], image: 'repo@sha256:abc' },
        db: { image: 'postgres:16', essential: false },
      },
    });
    expect(parseManifest(published).services.web?.image).toBe('repo@sha256:abc');
  });
});

describe('image names', () => {
  it('tags local images taskenv/<org>/<name>:<version>-<service>', () => {
    expect(builtImageTag({ org: 'acme', name: 'web-sqli', version: '1.2.0', service: 'web' })).toBe(
      'taskenv/acme/web-sqli:1.2.0-web',
    );
  });

  it('tags repository images <org>.<name>.<version>-<service>, one repository for every task', () => {
    expect(repositoryTag({ org: 'acme', name: 'web-sqli', version: '1.2.0', service: 'db-main' })).toBe(
      'acme.web-sqli.1.2.0-db-main',
    );
  });

  it('reads the account and region of an ECR repository URI, and nothing from another registry', () => {
    expect(ecrRepositoryParts('123456789012.dkr.ecr.eu-west-1.amazonaws.com/taskenv-tasks')).toEqual({
      account: '123456789012',
      region: 'eu-west-1',
    });
    expect(ecrRepositoryParts('123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/t')).toEqual({
      account: '123456789012',
      region: 'cn-north-1',
    });
    expect(ecrRepositoryParts('127.0.0.1:5000/taskenv-tasks')).toBeNull();
  });
});

describe('parseTaskSource on odd shapes', () => {
  it('refuses a manifest that is no object, or whose services are no record, as the API would', () => {
    expect(fieldErrorsOf(() => parseTaskSource(null)).map((e) => e.loc)).toEqual([['body']]);
    expect(fieldErrorsOf(() => parseTaskSource({ ...source(), services: 'web' })).map((e) => e.loc)).toEqual([
      ['body', 'services'],
    ]);
    expect(
      fieldErrorsOf(() => parseTaskSource({ ...source(), services: [{ image: 'x' }] })).map((e) => e.loc),
    ).toEqual([['body', 'services']]);
    expect(
      fieldErrorsOf(() => parseTaskSource({ ...source(), services: { web: null } })).map((e) => e.loc),
    ).toEqual([['body', 'services', 'web']]);
  });

  it('reports a build problem and a manifest problem together', () => {
    const json = {
      ...source(),
      name: 'Bad Name',
      services: { web: { image: 'x', build: { context: '.' } } },
    };
    expect(fieldErrorsOf(() => parseTaskSource(json))).toEqual([
      {
        loc: ['body', 'services', 'web'],
        msg: 'Give either image or build, not both',
        type: 'image_or_build',
      },
      { loc: ['body', 'name'], msg: 'Must match [a-z0-9][a-z0-9-]*', type: 'invalid_format' },
    ]);
  });

  it('refuses a service with both image and build even when the rest is fine', () => {
    const json = { ...source(), services: { web: { image: 'x', build: { context: '.' }, ports: [80] } } };
    expect(fieldErrorsOf(() => parseTaskSource(json))).toEqual([
      {
        loc: ['body', 'services', 'web'],
        msg: 'Give either image or build, not both',
        type: 'image_or_build',
      },
    ]);
  });

  it('lists only the services that build, and takes a context below the directory', () => {
    const json = {
      ...source(),
      services: { ...source().services, web: { build: { context: 'sub/dir' }, ports: [80] } },
    };
    expect([...parseTaskSource(json).builds]).toEqual([['web', { context: 'sub/dir' }]]);
  });

  it('refuses to publish a build service it has no image for', () => {
    expect(() => withBuiltImages(source(), new Map())).toThrow(new Error('service web was not built'));
  });
});
