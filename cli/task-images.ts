/**
 * `taskenv task push`'s image work: build each `build` service of a task directory with the
 * Docker engine (Engine API, through dockerode), and, for a deployment, push it to the
 * deployment's ECR repository with a token from ECR. Returns the reference to publish per
 * service: the local tag for the local stack, `<repository>@sha256:<digest>` for a registry.
 */

import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import Docker from 'dockerode';
import { z } from 'zod';
import type { ServiceBuild } from '#domain/service-manifest';
import { resolvedTaskRef } from '#domain/task-ref';
import { builtImageTag } from '#domain/task-source';
import { InputError } from './args.ts';
import { InterruptedError } from './client.ts';

/** Where the built images go: the local engine only, or a registry the deployment pulls from. */
export type ImageTarget =
  | { readonly kind: 'local' }
  | {
      /** An ECR repository URI (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`). */
      readonly kind: 'repository';
      readonly repository: string;
    };

/** A build or push the user has to look at (the Dockerfile, the engine, the registry); exit 1. */
export class ImageBuildError extends InputError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImageBuildError';
  }
}

export interface TaskImagesRequest {
  /** The directory holding `task.yaml`; build contexts are relative to it. */
  readonly dir: string;
  readonly org: string;
  readonly name: string;
  readonly version: string;
  readonly builds: ReadonlyMap<string, ServiceBuild>;
  readonly target: ImageTarget;
  /** More labels on every image, beside {@link IMAGE_LABELS}. */
  readonly labels?: Readonly<Record<string, string>>;
}

export interface TaskImagesDeps {
  readonly docker: Docker;
  /** Only called for a repository target; `region` is the repository's, when its URI names one. */
  readonly ecr: (region: string | undefined) => ECRClient;
  /** A one-line description of what is happening now (`building web: Step 2/3 …`). */
  readonly onProgress: (state: string) => void;
  readonly signal?: AbortSignal | undefined;
}

/** Labels of every image `task push` builds: which task version and service it is for. */
export const IMAGE_LABELS = { taskRef: 'taskenv.task-ref', service: 'taskenv.service' } as const;

const DEFAULT_DOCKERFILE = 'Dockerfile';

/** The parts of an ECR repository URI; `null` for any other registry. */
export const ecrRepositoryParts = (repository: string): { account: string; region: string } | null => {
  const match = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\//.exec(repository);
  return match?.[1] === undefined || match[2] === undefined ? null : { account: match[1], region: match[2] };
};

/**
 * The repository tag of one service image: one repository holds every org's tasks, so the tag
 * says whose it is (`<org>.<name>.<version>-<service>`; org and name have no dots, the version
 * no hyphen, so it reads back unambiguously). What the task runs is the digest, not this tag.
 */
export const repositoryTag = (ref: { org: string; name: string; version: string; service: string }): string =>
  `${ref.org}.${ref.name}.${ref.version}-${ref.service}`;

/** Docker's limit on a tag. */
const MAX_TAG_LENGTH = 128;

/**
 * Every build context exists and holds its Dockerfile. Problems come back as `[loc, msg]`, located
 * like the manifest's own (`services.web.build.context`), so `task validate` lists them together.
 */
export const checkBuildContexts = async (
  dir: string,
  builds: ReadonlyMap<string, ServiceBuild>,
): Promise<{ loc: (string | number)[]; msg: string }[]> => {
  const problems: { loc: (string | number)[]; msg: string }[] = [];
  for (const [service, build] of builds) {
    const context = resolve(dir, build.context);
    const info = await stat(context).catch(() => null);
    if (info?.isDirectory() !== true) {
      problems.push({
        loc: ['services', service, 'build', 'context'],
        msg: `No directory ${build.context} in the task directory`,
      });
      continue;
    }
    const dockerfile = build.dockerfile ?? DEFAULT_DOCKERFILE;
    const file = await stat(join(context, dockerfile)).catch(() => null);
    if (file?.isFile() !== true) {
      problems.push({
        loc: ['services', service, 'build', build.dockerfile === undefined ? 'context' : 'dockerfile'],
        msg: `No file ${dockerfile} in the build context ${build.context}`,
      });
    }
  }
  return problems;
};

// The engine's JSON progress messages (one per line), read leniently: only what is shown or decides.
const engineMessageSchema = z.object({
  stream: z.string().optional(),
  status: z.string().optional(),
  id: z.string().optional(),
  error: z.string().optional(),
  errorDetail: z.object({ message: z.string().optional() }).optional(),
  aux: z.object({ ID: z.string().optional(), Digest: z.string().optional() }).optional(),
});
type EngineMessage = z.infer<typeof engineMessageSchema>;

/** The engine answers a build or push with newline-delimited JSON; an `error` message ends it badly. */
async function* engineMessages(stream: NodeJS.ReadableStream): AsyncGenerator<EngineMessage> {
  let buffered = '';
  for await (const chunk of stream) {
    buffered += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      const parsed = engineMessageSchema.safeParse(JSON.parse(line));
      if (parsed.success) yield parsed.data;
    }
  }
  if (buffered.trim() !== '') {
    const parsed = engineMessageSchema.safeParse(JSON.parse(buffered));
    if (parsed.success) yield parsed.data;
  }
}

const engineError = (message: EngineMessage): string | undefined =>
  message.error ?? message.errorDetail?.message;

/** Connection failures name the engine and what to do, not just the socket's error code. */
const engineUnavailable = (error: unknown): ImageBuildError | null => {
  const code = error instanceof Error && 'code' in error ? error.code : undefined;
  if (code !== 'ENOENT' && code !== 'ECONNREFUSED' && code !== 'EACCES') return null;
  return new ImageBuildError(
    `no Docker engine answers (${String(code)}): start one, or point DOCKER_HOST at it; building a task's images needs it`,
    { cause: error },
  );
};

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Builds one service image, tags it `tag`, and resolves when the engine has it. */
const buildImage = async (
  deps: TaskImagesDeps,
  contextDir: string,
  build: ServiceBuild,
  tag: string,
  labels: Record<string, string>,
  report: (line: string) => void,
): Promise<void> => {
  // dockerode tars these entries (honouring the context's .dockerignore) and streams them.
  const entries = await readdir(contextDir);
  const stream = await deps.docker.buildImage(
    { context: contextDir, src: entries },
    {
      t: tag,
      dockerfile: build.dockerfile ?? DEFAULT_DOCKERFILE,
      labels,
      rm: true,
      forcerm: true,
      ...(deps.signal === undefined ? {} : { abortSignal: deps.signal }),
    },
  );
  for await (const message of engineMessages(stream)) {
    const error = engineError(message);
    if (error !== undefined) throw new ImageBuildError(error.trim());
    const line = message.stream?.trim();
    if (line !== undefined && /^Step \d+\/\d+ :/.test(line)) report(line);
  }
};

/** Pushes `repository:tag` and resolves to the digest the registry answered with. */
const pushImage = async (
  deps: TaskImagesDeps,
  repository: string,
  tag: string,
  auth: Docker.AuthConfig,
  report: (line: string) => void,
): Promise<string> => {
  const stream = await deps.docker.getImage(`${repository}:${tag}`).push({
    tag,
    authconfig: auth,
    ...(deps.signal === undefined ? {} : { abortSignal: deps.signal }),
  });
  const layers = new Set<string>();
  const done = new Set<string>();
  let digest: string | undefined;
  for await (const message of engineMessages(stream)) {
    const error = engineError(message);
    if (error !== undefined) throw new ImageBuildError(`pushing to ${repository} failed: ${error.trim()}`);
    if (message.aux?.Digest !== undefined) digest = message.aux.Digest;
    if (message.id === undefined || message.status === undefined) continue;
    if (message.status === 'Preparing' || message.status === 'Waiting') layers.add(message.id);
    if (message.status === 'Pushed' || message.status === 'Layer already exists') done.add(message.id);
    if (layers.size > 0) report(`${done.size}/${layers.size} layers`);
  }
  if (digest === undefined || !/^sha256:[0-9a-f]{64}$/.test(digest)) {
    throw new ImageBuildError(`the registry of ${repository} answered the push without an image digest`);
  }
  return digest;
};

const tokenSchema = z.object({ authorizationToken: z.string(), proxyEndpoint: z.string() });

/** The registry credentials ECR hands out for 12 hours: `AWS` and a password, base64 `user:password`. */
const ecrCredentials = async (ecr: ECRClient): Promise<Docker.AuthConfig> => {
  const answer = await ecr.send(new GetAuthorizationTokenCommand({}));
  const data = tokenSchema.safeParse(answer.authorizationData?.[0]);
  if (!data.success) throw new ImageBuildError('ECR answered GetAuthorizationToken without a token');
  const decoded = Buffer.from(data.data.authorizationToken, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0)
    throw new ImageBuildError('ECR answered GetAuthorizationToken with a token that is not user:password');
  return {
    username: decoded.slice(0, colon),
    password: decoded.slice(colon + 1),
    serveraddress: data.data.proxyEndpoint,
  };
};

/**
 * Builds every `build` service of the task (in manifest order) and, for a repository target,
 * pushes each to it. Resolves to the image reference to publish, by service.
 *
 * @throws ImageBuildError when the engine is missing, a build fails, or a push is refused.
 * @throws InterruptedError when `signal` fires (Ctrl-C); what was built so far stays in the engine.
 */
export const buildTaskImages = async (
  request: TaskImagesRequest,
  deps: TaskImagesDeps,
): Promise<Map<string, string>> => {
  const { org, name, version, target } = request;
  let auth: Docker.AuthConfig | undefined;
  const images = new Map<string, string>();
  try {
    for (const [service, build] of request.builds) {
      const localTag = builtImageTag({ org, name, version, service });
      const labels = {
        ...request.labels,
        [IMAGE_LABELS.taskRef]: resolvedTaskRef({ org, name, version }),
        [IMAGE_LABELS.service]: service,
      };
      await buildImage(deps, resolve(request.dir, build.context), build, localTag, labels, (line) =>
        deps.onProgress(`building ${service}: ${line}`),
      );
      if (target.kind === 'local') {
        images.set(service, localTag);
        continue;
      }
      const tag = repositoryTag({ org, name, version, service });
      if (tag.length > MAX_TAG_LENGTH) {
        throw new ImageBuildError(`the image tag ${tag} is longer than ${MAX_TAG_LENGTH} characters`);
      }
      deps.onProgress(`pushing ${service}: authenticating`);
      auth ??= await ecrCredentials(deps.ecr(ecrRepositoryParts(target.repository)?.region));
      await deps.docker.getImage(localTag).tag({ repo: target.repository, tag });
      const digest = await pushImage(deps, target.repository, tag, auth, (line) =>
        deps.onProgress(`pushing ${service}: ${line}`),
      );
      images.set(service, `${target.repository}@${digest}`);
    }
  } catch (error) {
    if (deps.signal?.aborted === true) throw new InterruptedError();
    if (error instanceof ImageBuildError) throw error;
    const unavailable = engineUnavailable(error);
    if (unavailable !== null) throw unavailable;
    throw new ImageBuildError(describe(error), { cause: error });
  }
  return images;
};

/** The real engine (docker-modem reads `DOCKER_HOST` itself) and an ECR client per region. */
export const defaultTaskImagesDeps = (): Pick<TaskImagesDeps, 'docker' | 'ecr'> => ({
  docker: new Docker(),
  ecr: (region) => new ECRClient(region === undefined ? {} : { region }),
});
