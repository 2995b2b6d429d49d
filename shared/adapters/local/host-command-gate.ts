import { resolvedTaskRef } from '#domain/task-ref';
import type { TaskVersionRecord } from '#domain/task-version';
import { type ContainerRuntime, LaunchFailedError } from '#ports/container-runtime';

export interface HostCommandGateOptions {
  /** The stack's own org (`local`): only its admin keys' tasks run as host processes. */
  readonly trustedOrg: string;
  /** `taskenv dev --allow-host-commands`: every task's `local.command` runs on the host. */
  readonly allowHostCommands: boolean;
}

/** Whether a version was published by an admin key of `trustedOrg`, into that org. */
const isTrustedForHost = (task: Pick<TaskVersionRecord, 'org' | 'publishedBy'>, trustedOrg: string) =>
  task.org === trustedOrg && task.publishedBy?.org === trustedOrg && task.publishedBy.role === 'admin';

/**
 * The local stack's trust boundary, in front of a runtime that runs `local.command` as host
 * processes (with the stack's user, its files and its network): such a runtime launches only
 * tasks an admin key of the stack's own org published, unless the stack was started with
 * `--allow-host-commands`. Any other launch is refused as the platform refuses a bad task
 * definition, so the environment fails with the reason (and the create answers 502), before a
 * process is spawned. Everything but `launch` passes through.
 */
export const gateHostCommands = (
  runtime: ContainerRuntime,
  options: HostCommandGateOptions,
): ContainerRuntime => ({
  register: (task) => runtime.register(task),
  launch: async (request) => {
    if (!options.allowHostCommands && !isTrustedForHost(request.task, options.trustedOrg)) {
      const ref = resolvedTaskRef(request.task);
      throw new LaunchFailedError(
        `the process runtime runs local.command on this host, so it only runs tasks published by an admin key of org '${options.trustedOrg}', and ${ref} was not; start the stack with --runtime docker to run its images in containers, or with --allow-host-commands to trust every published task`,
      );
    }
    return runtime.launch(request);
  },
  stop: (taskArn, reason) => runtime.stop(taskArn, reason),
  describe: (taskArns) => runtime.describe(taskArns),
  findByEnvironment: (environmentId) => runtime.findByEnvironment(environmentId),
  listRunning: () => runtime.listRunning(),
});
