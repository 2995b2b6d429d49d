/**
 * The taskenv TypeScript SDK: `import { Taskenv } from 'taskenv'`.
 *
 * ```ts
 * const client = new Taskenv();
 * await using env = await client.environments.create({ task_ref: 'hello-http' }, { wait: true });
 * const { exit_code, output } = await env.execute('ls /');
 * ```
 */
export { SDK_VERSION, Taskenv, type TaskenvOptions } from './client.ts';
export { Environment } from './environment.ts';
export type {
  CallOptions,
  CreateOptions,
  Environments,
  ExecuteOptions,
  ListOptions,
  WaitOptions,
} from './environments.ts';
export * from './errors.ts';
export type { Keys, Pools, Secrets, Tasks } from './resources.ts';
export type * from './types.ts';
