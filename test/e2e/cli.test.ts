/**
 * The `taskenv` CLI as a user runs it (`node bin/taskenv.js …`, settings from `TASKENV_*`),
 * against a running local stack: JSON output, exit codes, and the API's errors passed through.
 */
import { describe, expect, it } from 'vitest';
import {
  environmentListResponseSchema,
  environmentResponseSchema,
  environmentStatusResponseSchema,
  errorEnvelopeSchema,
} from '#domain/api-schemas';
import {
  apiRequest,
  environmentsUrl,
  parseBody,
  refusesWithin,
  runCli,
  serviceUrl,
  stackPerFile,
} from '#test/support/e2e';

const runningStack = stackPerFile('cli');

/** Each CLI run is a fresh Node process (the compiled CLI); the waits inside a run set the pace. */
const CLI_TEST_TIMEOUT_MS = 60_000;

/** `--json` promises exactly one JSON document on stdout; JSON.parse rejects anything more. */
const onlyJson = (stdout: string): unknown => JSON.parse(stdout);

describe('taskenv env against the local stack', () => {
  it(
    'creates, waits, lists, reports and deletes an environment with --json',
    async () => {
      // Prepare
      const stack = runningStack();

      // Act: create and wait
      const create = await runCli(
        ['env', 'create', 'hello-http', '--input', 'name=world', '--wait', '--json'],
        stack,
      );

      // Assess: exit 0 and one document, the ready environment with its service and instruction
      expect(create.code, create.stderr).toBe(0);
      const env = parseBody(environmentResponseSchema, onlyJson(create.stdout));
      expect(env.state).toBe('ready');
      expect(env.task_ref).toBe('local/hello-http@1.0.0');
      // Only the creation response carries the execute token; --wait keeps it for the user.
      expect(env.execute_token).not.toBeNull();
      const webUrl = serviceUrl(env, 'web');
      expect((await fetch(webUrl)).status).toBe(200);
      expect(env.instruction).toContain('Say hello to world.');
      expect(env.instruction).toContain(webUrl);

      // Act: list and status
      const [list, status] = await Promise.all([
        runCli(['env', 'list', '--json'], stack),
        runCli(['env', 'status', env.id, '--json'], stack),
      ]);

      // Assess
      expect(list.code, list.stderr).toBe(0);
      const listed = parseBody(environmentListResponseSchema, onlyJson(list.stdout));
      expect(listed.environments.map((e) => [e.id, e.state])).toContainEqual([env.id, 'ready']);
      expect(status.code, status.stderr).toBe(0);
      expect(parseBody(environmentStatusResponseSchema, onlyJson(status.stdout))).toEqual({
        id: env.id,
        state: 'ready',
        expires_at: env.expires_at,
        error: null,
        service_urls: env.service_urls,
      });

      // Act: delete
      const deleted = await runCli(['env', 'delete', env.id, '--json'], stack);
      const after = await runCli(['env', 'status', env.id, '--json'], stack);

      // Assess: torn down, and its service is gone
      expect(deleted.code, deleted.stderr).toBe(0);
      expect(parseBody(environmentResponseSchema, onlyJson(deleted.stdout))).toMatchObject({
        id: env.id,
        state: 'torn_down',
      });
      expect(after.code, after.stderr).toBe(0);
      expect(parseBody(environmentStatusResponseSchema, onlyJson(after.stdout)).state).toBe('torn_down');
      expect(await refusesWithin(webUrl, 2_000)).toBe(true);
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    'exits 4 on an unknown task and prints the API error envelope as JSON',
    async () => {
      // Prepare: what the API itself answers for this request
      const stack = runningStack();
      const api = await apiRequest(environmentsUrl(stack), stack.apiKey, {
        method: 'POST',
        json: { task_ref: 'no-such-task' },
      });

      // Act
      const run = await runCli(['env', 'create', 'no-such-task', '--json'], stack);

      // Assess
      expect(api.status).toBe(404);
      expect(run.code).toBe(4);
      const envelope = parseBody(errorEnvelopeSchema, onlyJson(run.stdout));
      expect(envelope).toEqual(parseBody(errorEnvelopeSchema, api.body));
      expect(envelope).toMatchObject({ code: 404, type: 'not_found_error' });
      expect(envelope.detail).toContain('no-such-task');
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    'exits 2 on a usage error without calling the API',
    async () => {
      // Prepare
      const stack = runningStack();
      const before = await apiRequest(environmentsUrl(stack), stack.apiKey);

      // Act
      const [unknownOption, missingRef] = await Promise.all([
        runCli(['env', 'create', 'hello-http', '--no-such-option'], stack),
        runCli(['env', 'create', '--json'], stack),
      ]);
      const after = await apiRequest(environmentsUrl(stack), stack.apiKey);

      // Assess
      expect(unknownOption.code).toBe(2);
      expect(unknownOption.stderr).toContain("unknown option '--no-such-option'");
      // With --json a usage error is one JSON document on stdout too.
      expect(missingRef.code).toBe(2);
      expect(missingRef.stderr).toBe('');
      expect(onlyJson(missingRef.stdout)).toMatchObject({ type: 'usage_error', detail: 'missing <ref>' });
      expect(parseBody(environmentListResponseSchema, after.body).total).toBe(
        parseBody(environmentListResponseSchema, before.body).total,
      );
    },
    CLI_TEST_TIMEOUT_MS,
  );
});
