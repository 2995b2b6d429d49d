/**
 * The Liquid engine instructions render with. Templates and values are untrusted, so it reads
 * no file (the include/render/layout tags are refused and its file system is a wall), and every
 * parse and render is bounded in size, time and allocation.
 */
import { type Context, type Emitter, type FS, Liquid, LiquidError, toValue } from 'liquidjs';

/** Largest instruction template, in UTF-8 bytes. */
export const MAX_INSTRUCTION_BYTES = 64 * 1024;

/** Largest rendered instruction, in UTF-8 bytes. */
export const MAX_RENDERED_INSTRUCTION_BYTES = 256 * 1024;

/**
 * Wall-clock budget of one render. Renders run on the request path (create) and in the event
 * handler (ready), and the local stack serves every request from one thread, so this is kept
 * short; a template that needs more is refused when it is published ({@link trialRenderProblems}).
 */
export const RENDER_TIME_LIMIT_MS = 250;

/**
 * Allocation budget of one render, in liquidjs units (roughly characters or array items).
 * Every character written to any output buffer counts too (see {@link MeteredEmitter}), so a
 * loop that would print megabytes stops at this budget instead of growing a string.
 */
export const RENDER_MEMORY_LIMIT = 1024 * 1024;

const refuse = (file: string): Error => new Error(`Instructions cannot read files ('${file}')`);

/**
 * The include/render/layout tags are replaced below, so nothing should reach the file system;
 * this is the second wall in case a future tag or option does.
 */
const noFileSystem: FS = {
  exists: async () => false,
  existsSync: () => false,
  readFile: async (file) => {
    throw refuse(file);
  },
  readFileSync: (file) => {
    throw refuse(file);
  },
  resolve: (_dir, file) => file,
  contains: async () => false,
  containsSync: () => false,
};

/** liquidjs's own output conversion (not exported by the library). */
export const stringify = (value: unknown): string => {
  const resolved: unknown = toValue(value);
  if (typeof resolved === 'string') {
    return resolved;
  }
  if (resolved === null || resolved === undefined) {
    return '';
  }
  if (Array.isArray(resolved)) {
    return resolved.map(stringify).join('');
  }
  return String(resolved);
};

export class OutputLimitError extends Error {}

/**
 * liquidjs charges ranges and string filters to `memoryLimit` but not plain output, so
 * `{% for i in (1..100000) %}…{% endfor %}` could still build a huge string. This emitter
 * charges every write to the render's budget and also caps each buffer at the output limit.
 */
class MeteredEmitter implements Emitter {
  buffer = '';
  readonly #context: Context;

  constructor(context: Context) {
    this.#context = context;
  }

  write(html: unknown): void {
    const text = stringify(html);
    this.#context.memoryLimit.use(text.length);
    if (this.buffer.length + text.length > MAX_RENDERED_INSTRUCTION_BYTES) {
      throw new OutputLimitError();
    }
    this.buffer += text;
  }
}

/**
 * The engine, built on first use: creating it (and the liquidjs module work it triggers) at
 * module scope would cost every function that merely imports the manifest schema its cold start.
 */
let engineInstance: Liquid | null = null;

export const engine = (): Liquid => {
  engineInstance ??= createEngine();
  return engineInstance;
};

const createEngine = (): Liquid => {
  const liquid = new Liquid({
    fs: noFileSystem,
    root: [],
    partials: [],
    layouts: [],
    relativeReference: false,
    strictVariables: true,
    strictFilters: true,
    // Lets an optional input be guarded (`{% if hint %}…{% endif %}`, `{{ hint | default: "" }}`)
    // while a bare `{{ hint }}` without a value still fails.
    lenientIf: true,
    ownPropertyOnly: true,
    // The schema bounds templates by UTF-8 bytes; characters never exceed bytes.
    parseLimit: MAX_INSTRUCTION_BYTES,
    renderLimit: RENDER_TIME_LIMIT_MS,
    memoryLimit: RENDER_MEMORY_LIMIT,
  });
  for (const tag of ['include', 'render', 'layout']) {
    // Failing at parse time means a manifest that tries is refused when it is published.
    liquid.registerTag(tag, {
      parse() {
        throw new Error(`The '${tag}' tag is not allowed: an instruction cannot load other templates`);
      },
      render() {
        return '';
      },
    });
  }
  // Every buffer liquidjs creates (the top-level output, each `capture`) goes through here;
  // nested blocks pass their parent's emitter along, so nothing is charged twice.
  const renderTemplates = liquid.renderer.renderTemplates.bind(liquid.renderer);
  liquid.renderer.renderTemplates = (templates, context, emitter) =>
    renderTemplates(templates, context, emitter ?? new MeteredEmitter(context));
  return liquid;
};

const limitMessages = {
  parse: 'parse length limit exceeded',
  memory: 'memory alloc limit exceeded',
  time: 'template render limit exceeded',
} as const;

/** The innermost cause liquidjs kept for `error`. */
export const rootCause = (error: unknown): unknown =>
  error instanceof LiquidError && error.originalError !== undefined ? rootCause(error.originalError) : error;

export const isLimit = (error: unknown, limit: keyof typeof limitMessages): boolean =>
  error instanceof Error && error.message.startsWith(limitMessages[limit]);
