/**
 * A real Docker registry (Debian's `docker-registry`, the CNCF distribution server) on a free
 * 127.0.0.1 port, standing in for ECR: basic auth with one user (as ECR's `AWS` + token), its
 * storage and config in a temp dir. The engine pushes to loopback registries over plain HTTP.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import bcrypt from 'bcryptjs';

export interface LocalRegistry {
  /** `127.0.0.1:<port>`: what a repository URI starts with. */
  readonly host: string;
  readonly username: string;
  readonly password: string;
  /** The digest the registry holds for `repository:tag` (its `Docker-Content-Digest`), or null. */
  digestOf(repository: string, tag: string): Promise<string | null>;
  stop(): Promise<void>;
}

const freePort = (): Promise<number> =>
  new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address === null || typeof address === 'string') reject(new Error('no port'));
        else resolvePort(address.port);
      });
    });
  });

const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
].join(', ');

/** Starts the registry and resolves once its API answers (401 without credentials). */
export const startLocalRegistry = async (credentials: {
  username: string;
  password: string;
}): Promise<LocalRegistry> => {
  const dir = await mkdtemp(join(tmpdir(), 'taskenv-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  await writeFile(
    join(dir, 'htpasswd'),
    `${credentials.username}:${bcrypt.hashSync(credentials.password, 4)}\n`,
  );
  // distribution's config format (version 0.1): https://distribution.github.io/distribution/about/configuration/
  await writeFile(
    join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log:',
      '  level: error',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'storage')}`,
      'http:',
      `  addr: ${host}`,
      'auth:',
      '  htpasswd:',
      '    realm: taskenv-test',
      `    path: ${join(dir, 'htpasswd')}`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'config.yml')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };

  const authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  const deadline = performance.now() + 10_000;
  for (;;) {
    const status = await fetch(`http://${host}/v2/`)
      .then((response) => response.status)
      .catch(() => null);
    if (status === 401) break;
    if (child.exitCode !== null || performance.now() > deadline) {
      await stop();
      throw new Error(`docker-registry did not start on ${host} (last status ${status}): ${stderr}`);
    }
    await sleep(50);
  }

  return {
    host,
    ...credentials,
    async digestOf(repository, tag) {
      const response = await fetch(`http://${host}/v2/${repository}/manifests/${tag}`, {
        method: 'HEAD',
        headers: { Authorization: authorization, Accept: MANIFEST_TYPES },
      });
      return response.ok ? response.headers.get('docker-content-digest') : null;
    },
    stop,
  };
};
