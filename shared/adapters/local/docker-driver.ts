/**
 * The Docker driver: each service of a task is a container, started through the Engine API.
 * The first container owns the task's network namespace and publishes every port of the task
 * on 127.0.0.1; the others join it, so services reach each other on 127.0.0.1:<port> as they
 * do in an awsvpc task on Fargate.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import Docker from 'dockerode';
import type { TaskVersionRecord } from '#domain/task-version';
import {
  type ExecOptions,
  type ExecResult,
  ExecUnavailableError,
  type LogLine,
} from '#ports/container-runtime';
import { containerSpec, LABEL_ENVIRONMENT_ID, LABEL_SERVICE, LABEL_STACK } from './docker-container-spec.ts';
import { type DockerRef, dockerRefSchema, engineMessage, killQuietly, statusOf } from './docker-engine.ts';
import { demultiplexed, frameDecoder, timestampedLines } from './docker-streams.ts';
import { awaitExec, CappedOutput, execScript } from './exec-output.ts';
import { descendants } from './host-processes.ts';
import type {
  PortBinding,
  RuntimeDriver,
  ServiceEnd,
  ServicePlan,
  ServiceStart,
  TaskPlan,
} from './runtime-driver.ts';

export { LABEL_ENVIRONMENT_ID, LABEL_STACK, LABEL_TASK_ARN } from './docker-container-spec.ts';
export { type DockerRef, dockerAnswers } from './docker-engine.ts';

/** How long a missing image may take to pull before the task fails. */
const PULL_TIMEOUT_MS = 120_000;

export interface DockerDriverOptions {
  /** The Engine API client. @default the local engine (DOCKER_HOST or /var/run/docker.sock) */
  readonly docker?: Docker;
  /** Tells this stack's containers from any other's (label `taskenv.stack`). */
  readonly stack: string;
  /** Where a container's logs are kept once it is removed: `<logDir>/<environmentId>/<service>.log`. */
  readonly logDir: string;
}

/** {@link RuntimeDriver} of Docker containers: isolated, limited, published on 127.0.0.1 only. */
export class DockerDriver implements RuntimeDriver<DockerRef> {
  readonly name = 'docker';
  readonly refSchema = dockerRefSchema;
  readonly #docker: Docker;
  readonly #stack: string;
  readonly #logDir: string;

  constructor({ docker = new Docker(), stack, logDir }: DockerDriverOptions) {
    this.#docker = docker;
    this.#stack = stack;
    this.#logDir = resolve(logDir);
  }

  /** Every service has an image, so Docker runs every task. */
  refusal(_task: TaskVersionRecord): string | null {
    return null;
  }

  async start(plan: TaskPlan): Promise<ServiceStart<DockerRef>[]> {
    const starts: ServiceStart<DockerRef>[] = [];
    let owner: DockerRef | null = null;
    for (const service of plan.services) {
      const missing = await this.#ensureImage(service);
      if (missing !== null) {
        starts.push(missing);
        break;
      }
      const start = await this.#startContainer(plan, service, owner);
      starts.push(start);
      if (!('ref' in start)) break;
      owner ??= start.ref;
    }
    return starts;
  }

  /** The owner's bridge address: a probe of the published port would hit docker-proxy, which always accepts. */
  probeTarget(ref: DockerRef, binding: PortBinding): { host: string; port: number } | null {
    return ref.ip === null ? null : { host: ref.ip, port: binding.containerPort };
  }

  async signal(ref: DockerRef, how: 'stop' | 'kill'): Promise<void> {
    try {
      await this.#docker
        .getContainer(ref.containerId)
        .kill({ signal: how === 'stop' ? 'SIGTERM' : 'SIGKILL' });
    } catch (error) {
      // 404: removed; 409: not running. Either way it is stopped.
      if (statusOf(error) !== 404 && statusOf(error) !== 409) throw error;
    }
  }

  /** Keeps each container's logs in the data dir, then removes it. */
  async release(
    environmentId: string,
    services: readonly { readonly name: string; readonly ref: DockerRef }[],
  ): Promise<void> {
    for (const { name, ref } of services) {
      await this.#keepLogs(environmentId, name, ref.containerId);
      await this.#remove(ref.containerId);
    }
  }

  /**
   * Engine API exec of `/bin/sh -c <command>` (no TTY) in the container, the multiplexed output
   * into one capped buffer in arrival order. At the timeout (or the abort) the command's
   * processes are killed from the host (the exec's host pid and its descendants): the Engine API
   * has no call to end an exec.
   */
  async exec(
    ref: DockerRef,
    service: ServicePlan,
    command: string,
    options: ExecOptions,
  ): Promise<ExecResult> {
    const started = performance.now();
    const container = this.#docker.getContainer(ref.containerId);
    let exec: Docker.Exec;
    let stream: NodeJS.ReadableStream;
    try {
      exec = await container.exec({
        Cmd: ['/bin/sh', '-c', execScript(command)],
        AttachStdin: false,
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
        Env: Object.entries(options.env ?? {}).map(([name, value]) => `${name}=${value}`),
        ...(options.workdir === undefined ? {} : { WorkingDir: options.workdir }),
      });
      stream = await exec.start({ hijack: true, stdin: false });
    } catch (error) {
      throw new ExecUnavailableError(
        `service ${service.name} cannot run a command: ${engineMessage(error)}`,
        {
          cause: error,
        },
      );
    }
    const output = new CappedOutput();
    const decode = frameDecoder((payload) => output.write(payload));
    const done = new Promise<void>((settle) => {
      stream.on('data', (chunk: Buffer) => decode(chunk));
      stream.once('end', () => settle());
      stream.once('close', () => settle());
      stream.once('error', () => settle());
    });
    const end = async () => {
      const pid = (await exec.inspect().catch(() => null))?.Pid ?? 0;
      if (pid > 0) {
        const tree = await descendants(pid);
        killQuietly(pid);
        for (const child of tree) killQuietly(child);
      }
      // Where the host cannot see the exec's processes (a remote engine), stop reading at least.
      setTimeout(
        () => (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.(),
        1000,
      ).unref();
    };
    return awaitExec(
      options,
      output,
      started,
      () => void end(),
      async () => {
        await done;
        return (await exec.inspect().catch(() => null))?.ExitCode ?? 137;
      },
    );
  }

  /** From the engine while the container exists, else from the copy kept at its removal. */
  async readLogs(
    environmentId: string,
    service: string,
    ref: DockerRef | null,
    tail: number,
  ): Promise<{ lines: LogLine[]; truncated: boolean }> {
    if (ref !== null) {
      try {
        const buffer = await this.#docker
          .getContainer(ref.containerId)
          .logs({ stdout: true, stderr: true, timestamps: true, tail: tail + 1, follow: false });
        return timestampedLines(demultiplexed(buffer).toString('utf8'), tail);
      } catch (error) {
        if (statusOf(error) !== 404) throw error;
      }
    }
    const kept = await readFile(this.#logFile(environmentId, service), 'utf8').catch(() => '');
    return timestampedLines(kept, tail);
  }

  /** The container if it still runs and carries this stack's label; watched with a wait from now on. */
  async reattach(ref: DockerRef): Promise<{ ref: DockerRef; ended: Promise<ServiceEnd> } | null> {
    const info = await this.#docker
      .getContainer(ref.containerId)
      .inspect()
      .catch(() => null);
    if (info === null || !info.State.Running || info.Config.Labels[LABEL_STACK] !== this.#stack) return null;
    return { ref, ended: this.#ended(ref.containerId, info.Config.Labels[LABEL_SERVICE] ?? 'service') };
  }

  /** Removes this stack's containers that no adopted task holds (their logs kept first). */
  async sweep(kept: readonly DockerRef[]): Promise<void> {
    const keep = new Set(kept.map((ref) => ref.containerId));
    const containers = await this.#docker.listContainers({
      all: true,
      filters: { label: [`${LABEL_STACK}=${this.#stack}`] },
    });
    for (const container of containers.filter((c) => !keep.has(c.Id))) {
      const environmentId = container.Labels[LABEL_ENVIRONMENT_ID];
      const service = container.Labels[LABEL_SERVICE];
      if (environmentId !== undefined && service !== undefined) {
        await this.#keepLogs(environmentId, service, container.Id);
      }
      await this.#remove(container.Id);
    }
  }

  /** Null when the image is here or could be pulled; else why the task cannot start. */
  async #ensureImage(service: ServicePlan): Promise<ServiceStart<DockerRef> | null> {
    const { image } = service.definition;
    try {
      await this.#docker.getImage(image).inspect();
      return null;
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
    try {
      await this.#pull(image);
      return null;
    } catch (error) {
      const why = `image '${image}' is not on this machine and could not be pulled: ${engineMessage(error)}`;
      return {
        exitCode: null,
        reason: `CannotPullContainerError: ${why}`,
        stoppedReason: `CannotPullContainerError: service ${service.name}: ${why}`,
      };
    }
  }

  async #pull(image: string): Promise<void> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), PULL_TIMEOUT_MS);
    try {
      const stream = await this.#docker.pull(image, { abortSignal: abort.signal });
      await new Promise<void>((settle, reject) => {
        this.#docker.modem.followProgress(stream, (error: Error | null, output: unknown[]) => {
          // The engine reports a failed pull as an `error` entry in the progress stream.
          const failed = output?.find(
            (entry): entry is { error: string } =>
              typeof entry === 'object' &&
              entry !== null &&
              'error' in entry &&
              typeof entry.error === 'string',
          );
          if (error !== null) reject(error);
          else if (failed !== undefined) reject(new Error(failed.error));
          else settle();
        });
      });
    } finally {
      clearTimeout(timer);
    }
  }

  async #startContainer(
    plan: TaskPlan,
    service: ServicePlan,
    owner: DockerRef | null,
  ): Promise<ServiceStart<DockerRef>> {
    const { memory } = plan.task.manifest.resources;
    let container: Docker.Container;
    try {
      container = await this.#docker.createContainer(containerSpec(plan, service, owner, this.#stack));
    } catch (error) {
      return this.#cannotStart(service, error);
    }
    try {
      await container.start();
      const ip = owner?.ip ?? (await this.#bridgeAddress(container));
      return {
        ref: { containerId: container.id, ip },
        ended: this.#ended(container.id, service.name, memory),
      };
    } catch (error) {
      await this.#remove(container.id);
      return this.#cannotStart(service, error);
    }
  }

  #cannotStart(service: ServicePlan, error: unknown): ServiceStart<DockerRef> {
    const message = engineMessage(error);
    return {
      exitCode: null,
      reason: `CannotStartContainerError: ${message}`,
      stoppedReason: `CannotStartContainerError: service ${service.name} could not start: ${message}`,
    };
  }

  /** Null when the container has none (it has already exited: its end is reported at once). */
  async #bridgeAddress(container: Docker.Container): Promise<string | null> {
    const info = await container.inspect();
    const address = Object.values(info.NetworkSettings.Networks ?? {}).find(
      (n) => n.IPAddress !== '',
    )?.IPAddress;
    return address === undefined || address === '' ? null : address;
  }

  /** Settles when the container stops: its exit code, and an OOM kill named as one. */
  async #ended(containerId: string, service: string, memoryMiB?: number): Promise<ServiceEnd> {
    const container = this.#docker.getContainer(containerId);
    try {
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      const info = await container.inspect().catch(() => null);
      if (info?.State.OOMKilled === true) {
        const limit = memoryMiB ?? Math.round((info.HostConfig.Memory ?? 0) / (1024 * 1024));
        return {
          exitCode: StatusCode,
          reason: `OutOfMemoryError: container ${service} was killed: out of memory (limit ${limit} MiB)`,
        };
      }
      return { exitCode: StatusCode, reason: null };
    } catch (error) {
      return { exitCode: null, reason: `the container is gone: ${engineMessage(error)}` };
    }
  }

  /** Appends the container's timestamped logs to its file in the data dir (0600: it may hold secrets a task printed). */
  async #keepLogs(environmentId: string, service: string, containerId: string): Promise<void> {
    try {
      const buffer = await this.#docker
        .getContainer(containerId)
        .logs({ stdout: true, stderr: true, timestamps: true, follow: false });
      const dir = join(this.#logDir, environmentId);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await writeFile(this.#logFile(environmentId, service), demultiplexed(buffer), {
        mode: 0o600,
        flag: 'a',
      });
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
  }

  async #remove(containerId: string): Promise<void> {
    try {
      await this.#docker.getContainer(containerId).remove({ force: true, v: true });
    } catch (error) {
      if (statusOf(error) !== 404 && statusOf(error) !== 409) throw error;
    }
  }

  #logFile(environmentId: string, service: string): string {
    return join(this.#logDir, environmentId, `${service}.log`);
  }
}
