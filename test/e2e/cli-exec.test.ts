/**
 * `taskenv env exec | verify | logs` as a user runs them against the local stack: the token
 * kept from `env create` (0600), the command's output and exit code, --json, verify's exit code
 * and the logs of a service.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_CONFIG_HOME, runCli, stackPerFile } from '#test/support/e2e';

const runningStack = stackPerFile('cli-exec');
const TIMEOUT_MS = 90_000;

describe('taskenv env exec, verify and logs', () => {
  it(
    'runs a command right after env create with the kept token, prints its output and exits with its code',
    async () => {
      // Prepare
      const stack = runningStack();
      const create = await runCli(['env', 'create', 'hello-http', '--wait', '--json'], stack);
      expect(create.code, create.stderr).toBe(0);
      const id: string = JSON.parse(create.stdout).id;
      const tokens = join(CLI_CONFIG_HOME, 'taskenv', 'execute-tokens.json');

      // Act
      const exec = await runCli(
        [
          'env',
          'exec',
          id,
          '--env',
          'WHO=cli',
          '--',
          'echo',
          'out-$WHO;',
          'echo',
          'err',
          '>&2;',
          'exit',
          '3',
        ],
        stack,
      );
      const json = await runCli(['env', 'exec', id, '--json', '--timeout', '5', '--', 'printf', 'hi'], stack);
      const noToken = await runCli(['env', 'exec', id, '--token', 'wrong', '--', 'true'], stack);
      const logs = await runCli(['env', 'logs', id, '--tail', '5'], stack);

      // Assess
      expect((await stat(tokens)).mode & 0o777).toBe(0o600);
      expect(exec.code, exec.stderr).toBe(3);
      expect(exec.stdout).toBe('out-cli\nerr\n');
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toMatchObject({ exit_code: 0, output: 'hi', truncated: false });
      expect(noToken.code).not.toBe(0);
      expect(noToken.stderr).toContain('Authentication failed');
      expect(logs.code, logs.stderr).toBe(0);
      await runCli(['env', 'delete', id], stack);
    },
    TIMEOUT_MS,
  );

  it(
    'exits 1 from env verify on a task without verification (422) and reports it',
    async () => {
      const stack = runningStack();
      const create = await runCli(['env', 'create', 'hello-http', '--wait', '--json'], stack);
      const id: string = JSON.parse(create.stdout).id;
      const verify = await runCli(['env', 'verify', id, '--answer', 'x'], stack);
      expect(verify.code).not.toBe(0);
      expect(verify.stderr).toContain('verification');
      await runCli(['env', 'delete', id], stack);
    },
    TIMEOUT_MS,
  );
});
