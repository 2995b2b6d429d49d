/**
 * The OpenAPI document as a client generator reads it: every operation described, real bounds,
 * the publish body being the manifest, only the statuses an operation can answer, the replay
 * header; and Spectral's `spectral:oas` ruleset finding nothing.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '#shared/openapi';
import { makeTempDir, REPO_ROOT } from '#test/support/e2e';

// biome-ignore lint/suspicious/noExplicitAny: the document is walked by path in assertions.
const doc = openApiDocument('http://127.0.0.1:8787', '0.1.0') as any;
// biome-ignore lint/suspicious/noExplicitAny: as above.
const operations = Object.values(doc.paths).flatMap((item) => Object.values(item as Record<string, any>));
// biome-ignore lint/suspicious/noExplicitAny: as above.
const operation = (id: string): any => operations.find((op) => op.operationId === id);

describe('the OpenAPI document', () => {
  it('describes every operation beyond its summary', () => {
    for (const op of operations) {
      expect(op.description, op.operationId).toMatch(/\w{3,}.*\w{3,}/);
      expect(op.summary, op.operationId).toBeTruthy();
    }
    expect(operation('createEnvironment').description).toMatch(/Idempotent-Replayed: true/);
    expect(operation('createEnvironment').description).toMatch(/clamped/);
    expect(operation('deleteEnvironment').description).toMatch(/Idempotent/);
  });

  it('takes the manifest as the publish body', () => {
    // Act
    const body = operation('publishTask').requestBody.content['application/json'].schema;
    const manifest = doc.components.schemas.TaskManifest;

    // Assess
    expect(body).toEqual({ $ref: '#/components/schemas/TaskManifest' });
    expect(manifest.required).toEqual(expect.arrayContaining(['name', 'version', 'instruction', 'services']));
    expect(manifest.properties.services).toBeDefined();
  });

  it('bounds ports and error codes as the API does', () => {
    const port =
      doc.components.schemas.EnvironmentResponse.properties.service_urls.anyOf[0].additionalProperties
        .properties.port;
    expect([port.minimum, port.maximum]).toEqual([1, 65535]);
    const code = doc.components.schemas.ErrorEnvelope.properties.code;
    expect([code.minimum, code.maximum]).toEqual([400, 599]);
    expect(JSON.stringify(doc)).not.toContain('-9007199254740991');
  });

  it('lists per operation only the statuses it can answer', () => {
    expect(Object.keys(operation('getEnvironmentStatus').responses)).not.toContain('409');
    expect(Object.keys(operation('getEnvironmentStatus').responses)).not.toContain('400');
    expect(Object.keys(operation('listTasks').responses)).not.toContain('404');
    expect(Object.keys(operation('createEnvironment').responses)).toEqual(
      expect.arrayContaining(['201', '400', '401', '403', '404', '409', '422', '429', '502']),
    );
    expect(Object.keys(operation('healthz').responses).sort()).toEqual(['200', '429', '500', '503']);
  });

  it('documents the replay header of a create and the meta answers', () => {
    expect(operation('createEnvironment').responses['201'].headers['Idempotent-Replayed'].schema).toEqual({
      type: 'string',
      const: 'true',
    });
    expect(operation('healthz').responses['200'].content['application/json'].schema.required).toEqual([
      'status',
      'version',
      'dynamodb',
    ]);
    const orgParam = operation('listEnvironments').parameters.find((p: { name: string }) => p.name === 'org');
    expect(orgParam.example).toBe('local');
  });

  describe('under Spectral', () => {
    let dir: Awaited<ReturnType<typeof makeTempDir>>;
    beforeAll(async () => {
      dir = await makeTempDir('spectral');
    });
    afterAll(async () => {
      await dir.remove();
    });

    it('passes spectral:oas with no problem at any severity', { timeout: 60_000 }, async () => {
      // Prepare
      const file = join(dir.path, 'openapi.json');
      await writeFile(file, JSON.stringify(doc));

      // Act
      const spectral = join(REPO_ROOT, 'node_modules', '.bin', 'spectral');
      const result = await promisify(execFile)(spectral, [
        'lint',
        '--ruleset',
        join(REPO_ROOT, '.spectral.yaml'),
        '--fail-severity=hint',
        '--format=json',
        '--quiet',
        file,
      ]).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
      );

      // Assess
      expect(result.stdout.trim() === '' ? [] : JSON.parse(result.stdout)).toEqual([]);
      expect(result.code).toBe(0);
    });
  });
});
