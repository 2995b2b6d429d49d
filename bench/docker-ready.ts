/**
 * The Docker time-to-ready figure (docs/design.md "Targets": p50 under 1.5 s): the whole local stack
 * with the Docker runtime, `hello-http` as a container of its small image (`FROM scratch` + the
 * static busybox, busybox httpd behind a `/healthz` probe), built locally by the stack at start,
 * before any sample, with nothing pulled. From the POST that creates an environment to the
 * `ready` event, one environment at a time, each torn down (container removed) before the next.
 */
import { join } from 'node:path';
import Docker from 'dockerode';
import { dockerAnswers } from '#adapters/local/docker-driver';
import { exampleImageTags, readExamples } from '#local/examples';
import { measureTimeToReady, type TimeToReadyResult } from './time-to-ready.ts';

export interface DockerReadyResult extends TimeToReadyResult {
  /** The image every sample ran: its tag and size. */
  readonly image: { readonly tag: string; readonly bytes: number };
}

const TASK = 'hello-http';

export const measureDockerReady = async (options: {
  readonly projectRoot: string;
  readonly environments: number;
  readonly warmup: number;
  /** docs/design.md: p50 under 1.5 s. */
  readonly limitMs: number;
  readonly progress: (line: string) => void;
}): Promise<DockerReadyResult> => {
  const docker = new Docker();
  if (!(await dockerAnswers(docker))) {
    throw new Error(
      'no Docker engine answers (DOCKER_HOST or /var/run/docker.sock): start dockerd to measure the Docker time to ready',
    );
  }
  const example = (await readExamples(join(options.projectRoot, 'examples', 'tasks'))).examples.find(
    (e) => e.source.name === TASK,
  );
  const tag = example === undefined ? undefined : exampleImageTags(example.source, 'local').get('web');
  if (tag === undefined) throw new Error(`examples/tasks/${TASK} has no built web service`);
  const result = await measureTimeToReady({
    projectRoot: options.projectRoot,
    single: options.environments,
    rounds: 0,
    concurrency: 1,
    warmup: options.warmup,
    limitMs: options.limitMs,
    progress: options.progress,
    runtime: 'docker',
  });
  const image = await docker.getImage(tag).inspect();
  return {
    ...result,
    image: { tag, bytes: image.Size },
    notes: [
      ...result.notes,
      `image ${tag} (${(image.Size / 1024).toFixed(0)} KiB, FROM scratch + static busybox), built by the stack at start, before the first sample`,
    ],
  };
};
