/**
 * The Docker runtime: the shared local lifecycle ({@link LocalRuntime}) over the Docker driver,
 * the local stack's runtime when a Docker engine answers.
 */
import { DockerDriver, type DockerDriverOptions, type DockerRef } from './docker-driver.ts';
import { LocalRuntime, type LocalRuntimeOptions } from './local-runtime.ts';

export interface DockerRuntimeOptions extends LocalRuntimeOptions, DockerDriverOptions {}

/**
 * Runs each service of a task as a container of its `image` (the manifest's `command`, `env`,
 * the environment's variables as container env), limited to the task's `resources`, hardened
 * (no-new-privileges, a pids limit, no host mounts) and labelled with the environment id, the
 * task ARN and the stack.
 */
export class DockerRuntime extends LocalRuntime<DockerRef> {
  constructor(options: DockerRuntimeOptions) {
    super(
      new DockerDriver({
        stack: options.stack,
        logDir: options.logDir,
        ...(options.docker === undefined ? {} : { docker: options.docker }),
      }),
      options,
    );
  }
}
