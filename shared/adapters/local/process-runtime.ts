/**
 * The process runtime: the shared local lifecycle ({@link LocalRuntime}) over the process
 * driver, the local stack's runtime when no Docker engine answers.
 */
import { LocalRuntime, type LocalRuntimeOptions } from './local-runtime.ts';
import { ProcessDriver, type ProcessDriverOptions, type ProcessRef } from './process-driver.ts';

export type { TaskEventListener } from './ecs-task-events.ts';

export interface ProcessRuntimeOptions extends LocalRuntimeOptions, ProcessDriverOptions {}

/**
 * Runs each service of a task as a local process: its `local.command` (in its own process
 * group, cwd {@link ProcessDriverOptions.cwd}) with `PATH`, `HOME`, the service's `env` and
 * `local.env`, the environment's env file, `TASKENV_ENVIRONMENT_ID`, `PORT` (the host port of
 * the service's first declared port) and `TASKENV_PORT_<containerPort>` for every port of the
 * task, each on a free 127.0.0.1 port.
 */
export class ProcessRuntime extends LocalRuntime<ProcessRef> {
  constructor(options: ProcessRuntimeOptions) {
    super(
      new ProcessDriver({
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
        ...(options.logDir === undefined ? {} : { logDir: options.logDir }),
        ...(options.stack === undefined ? {} : { stack: options.stack }),
      }),
      options,
    );
  }
}
