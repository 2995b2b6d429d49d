/**
 * A task directory's manifest (`task.yaml` as its author wrote it), where a service may name a
 * `build` context instead of an `image`. `taskenv task push` builds those services and
 * publishes the manifest with the built images' references; the API never sees `build`.
 */
import * as z from '#shared/zod';
import { type FieldError, ValidationError } from './errors.ts';
import { parseManifest } from './manifest.ts';
import { type ServiceBuild, serviceBuildSchema } from './service-manifest.ts';
import { fieldErrors } from './validation.ts';

/** What a task directory's manifest declares, once it passes every rule the API applies. */
export interface TaskSource {
  readonly name: string;
  readonly version: string;
  /** The services to build, by service name, in manifest order. */
  readonly builds: ReadonlyMap<string, ServiceBuild>;
}

/** Stands in for a build service's image while the rest of the manifest is checked. */
const PENDING_IMAGE = 'taskenv/pending-build';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `json` with each service's fields replaced through `replace` (other keys kept as they are). */
const mapServices = (
  json: unknown,
  replace: (name: string, service: Record<string, unknown>) => Record<string, unknown>,
): unknown => {
  if (!isRecord(json) || !isRecord(json.services)) return json;
  const services = Object.fromEntries(
    Object.entries(json.services).map(([name, service]) => [
      name,
      isRecord(service) ? replace(name, service) : service,
    ]),
  );
  return { ...json, services };
};

/**
 * Checks a task directory's manifest with the API's rules, plus the `build` rules: a service
 * names exactly one of `image` and `build`, and a build's paths stay inside the directory.
 * Whether the contexts exist is for the caller, which knows where the directory is.
 *
 * @throws ValidationError (422) with every problem located under `body`, as the API reports them.
 */
export const parseTaskSource = (json: unknown): TaskSource => {
  const errors: FieldError[] = [];
  const builds = new Map<string, ServiceBuild>();
  const checkable = mapServices(json, (name, { build, ...service }) => {
    if (build === undefined) return service;
    if (Object.hasOwn(service, 'image')) {
      errors.push({
        loc: ['body', 'services', name],
        msg: 'Give either image or build, not both',
        type: 'image_or_build',
      });
      return service;
    }
    const parsed = z.safeParse(serviceBuildSchema(), build);
    if (parsed.success) builds.set(name, parsed.data);
    else errors.push(...fieldErrors(parsed.error.issues, 'body').map((e) => atBuild(e, name)));
    return { ...service, image: PENDING_IMAGE };
  });

  let manifest: ReturnType<typeof parseManifest> | undefined;
  try {
    manifest = parseManifest(checkable);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    errors.push(...error.errors);
  }
  if (errors.length > 0 || manifest === undefined) throw new ValidationError(errors);
  // Manifest order, whatever order the problems were found in.
  const ordered = Object.keys(manifest.services).flatMap((name): [string, ServiceBuild][] => {
    const build = builds.get(name);
    return build === undefined ? [] : [[name, build]];
  });
  return { name: manifest.name, version: manifest.version, builds: new Map(ordered) };
};

const atBuild = (error: FieldError, service: string): FieldError => ({
  ...error,
  loc: ['body', 'services', service, 'build', ...error.loc.slice(1)],
});

/**
 * The manifest to publish: `json` with each built service's `build` replaced by the `image`
 * reference it was pushed as. Everything else is sent as the author wrote it, so the API's
 * answer (and its defaults) stay the ones that count.
 *
 * @throws Error when a build service has no image: a bug of the caller, never the author's.
 */
export const withBuiltImages = (json: unknown, images: ReadonlyMap<string, string>): unknown =>
  mapServices(json, (name, { build, ...service }) => {
    if (build === undefined) return service;
    const image = images.get(name);
    if (image === undefined) throw new Error(`service ${name} was not built`);
    return { ...service, image };
  });

/** What one built service image is tagged in the local engine: `taskenv/<org>/<name>:<version>-<service>`. */
export const builtImageTag = (ref: {
  readonly org: string;
  readonly name: string;
  readonly version: string;
  readonly service: string;
}): string => `taskenv/${ref.org}/${ref.name}:${ref.version}-${ref.service}`;
