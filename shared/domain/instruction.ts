/**
 * Instruction rendering. A task's instruction is a Liquid template written by the task's
 * author and rendered with values chosen by whoever provisions an environment, inside our
 * Lambdas. Both are untrusted, so the engine (`instruction-engine.ts`) can read no file, and
 * every parse and render is bounded in size, time and allocation.
 */
import { Buffer } from 'node:buffer';
import { LiquidError, type Template } from 'liquidjs';
import { type FieldError, ValidationError } from './errors.ts';
import type { InputConstraints, InputValue, InputValues } from './inputs.ts';
import {
  engine,
  isLimit,
  MAX_INSTRUCTION_BYTES,
  MAX_RENDERED_INSTRUCTION_BYTES,
  OutputLimitError,
  RENDER_MEMORY_LIMIT,
  RENDER_TIME_LIMIT_MS,
  rootCause,
  stringify,
} from './instruction-engine.ts';
// Types only: manifest.ts imports this module at run time, so this one must not import it back.

/**
 * What the rendering rules read of a task manifest. Structural rather than `TaskManifest`, so
 * this module sits below the manifest schema (which calls it while its own type is inferred)
 * and the two do not import each other.
 */
export interface TemplateManifest {
  readonly instruction: string;
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly services: Readonly<Record<string, { readonly ports: readonly number[] }>>;
}

export {
  MAX_INSTRUCTION_BYTES,
  MAX_RENDERED_INSTRUCTION_BYTES,
  RENDER_TIME_LIMIT_MS,
} from './instruction-engine.ts';

/** Always available to the instruction template, next to the inputs and service variables. */
export const ENVIRONMENT_ID_VARIABLE = 'environment_id';

/** Each endpoint key K gives the instruction the variables `K_url`, `K_host` and `K_port`. */
export const SERVICE_VARIABLE_SUFFIXES = ['url', 'host', 'port'] as const;

/** A render went over the output or allocation budget. */
export class InstructionTooLargeError extends ValidationError {
  constructor(msg: string) {
    super([{ loc: ['body', 'instruction'], msg, type: 'too_big' }], 'Instruction too large');
  }
}

const INSTRUCTION_LOC = ['body', 'instruction'] as const;

const invalidTemplate = (msg: string): ValidationError =>
  new ValidationError([{ loc: INSTRUCTION_LOC, msg, type: 'invalid_template' }]);

const parse = (template: string): Template[] => {
  try {
    return engine().parse(template);
  } catch (error) {
    if (isLimit(rootCause(error), 'parse')) {
      throw new ValidationError([
        { loc: INSTRUCTION_LOC, msg: `Must be at most ${MAX_INSTRUCTION_BYTES} bytes`, type: 'too_big' },
      ]);
    }
    // Parsing is pure over the author's text, so whatever it throws (syntax errors, a stack
    // overflow from absurd nesting) is the template's fault.
    const message = error instanceof Error ? error.message : String(error);
    throw invalidTemplate(`Invalid instruction template: ${message}`);
  }
};

/**
 * The top-level variable names `template` expects from its caller, in order of first use:
 * `{{ user.name }}` contributes `user`; names the template assigns itself (`assign`,
 * `capture`, loop variables) are not included.
 *
 * @throws ValidationError at `["body", "instruction"]` when the template does not parse.
 */
export const templateVariables = (template: string): string[] =>
  engine().globalVariablesSync(parse(template), { partials: false });

/** One exposed (service, port) pair and the key it is published under. */
export interface ServiceEndpoint {
  /** Key in `service_urls` and stem of the instruction's `<key>_url/_host/_port` variables. */
  readonly key: string;
  readonly service: string;
  readonly port: number;
}

/**
 * Every exposed (service, port), in manifest order. The key is the service name when the
 * service exposes one port, else `<service>_<port>`. Dashes in service names become
 * underscores in the key (`my-web` publishes as `my_web`): a key is also the stem of the
 * instruction's variables, and this keeps every template variable in the same
 * `[a-z_][a-z0-9_]*` shape as input names, a plain identifier in any client language.
 */
export const serviceEndpoints = (manifest: Pick<TemplateManifest, 'services'>): ServiceEndpoint[] =>
  Object.entries(manifest.services).flatMap(([service, definition]) => {
    const stem = service.replaceAll('-', '_');
    return definition.ports.map((port) => ({
      key: definition.ports.length === 1 ? stem : `${stem}_${port}`,
      service,
      port,
    }));
  });

/**
 * The service variables a manifest offers its instruction: `K_url`, `K_host` and `K_port`
 * for every endpoint key K of {@link serviceEndpoints}.
 */
export const serviceVariableNames = (manifest: Pick<TemplateManifest, 'services'>): string[] =>
  serviceEndpoints(manifest).flatMap(({ key }) =>
    SERVICE_VARIABLE_SUFFIXES.map((suffix) => `${key}_${suffix}`),
  );

/**
 * Variables the instruction uses that will never have a value: neither a declared input, a
 * service variable nor `environment_id`.
 *
 * @throws ValidationError at `["body", "instruction"]` when the template does not parse.
 */
export const unknownTemplateVariables = (
  manifest: Pick<TemplateManifest, 'instruction' | 'inputs' | 'services'>,
): string[] => {
  const known = new Set([
    ENVIRONMENT_ID_VARIABLE,
    ...Object.keys(manifest.inputs),
    ...serviceVariableNames(manifest),
  ]);
  return templateVariables(manifest.instruction).filter((name) => !known.has(name));
};

const undefinedVariable = (error: unknown): string | null => {
  const cause = rootCause(error);
  if (cause instanceof Error && cause.name === 'InternalUndefinedVariableError' && 'variableName' in cause) {
    return typeof cause.variableName === 'string' ? cause.variableName : null;
  }
  return null;
};

const renderError = (error: unknown): unknown => {
  const cause = rootCause(error);
  if (cause instanceof OutputLimitError) {
    return new InstructionTooLargeError(
      `The rendered instruction would exceed ${MAX_RENDERED_INSTRUCTION_BYTES} bytes`,
    );
  }
  if (isLimit(cause, 'memory')) {
    return new InstructionTooLargeError(
      `Rendering the instruction would allocate more than ${RENDER_MEMORY_LIMIT} characters or items`,
    );
  }
  if (isLimit(cause, 'time')) {
    return new ValidationError([
      {
        loc: INSTRUCTION_LOC,
        msg: `Rendering took longer than ${RENDER_TIME_LIMIT_MS} ms`,
        type: 'render_timeout',
      },
    ]);
  }
  const variable = undefinedVariable(error);
  if (variable !== null) {
    const [root = variable] = variable.split(/[.[]/);
    const entry: FieldError = {
      loc: ['body', 'inputs', root],
      msg: `The instruction uses '${variable}' but no value was given for it`,
      type: 'missing',
    };
    return new ValidationError([entry]);
  }
  if (error instanceof LiquidError) {
    return new ValidationError([
      {
        loc: INSTRUCTION_LOC,
        msg: `The instruction could not be rendered: ${error.message}`,
        type: 'render_error',
      },
    ]);
  }
  return error;
};

/**
 * Overrides of one render's budgets. Only the wall-clock limit can be changed, and only by code
 * that renders outside a request (the size budgets are fixed).
 */
export interface RenderBudget {
  /** Wall-clock limit of this render in ms (default {@link RENDER_TIME_LIMIT_MS}). */
  readonly timeLimitMs?: number;
}

/**
 * Renders `template` with `variables`. A variable the template prints without a value is a
 * 422 at `["body", "inputs", <name>]`; over the output, memory or time budget is a 422 at
 * `["body", "instruction"]` ({@link InstructionTooLargeError} for size).
 */
export const renderInstruction = (
  template: string,
  variables: Readonly<Record<string, InputValue>>,
  budget: RenderBudget = {},
): string => {
  const templates = parse(template);
  let output: unknown;
  try {
    // A copy: `{% increment %}` writes into the scope object it is given.
    output = engine().renderSync(
      templates,
      { ...variables },
      { renderLimit: budget.timeLimitMs ?? RENDER_TIME_LIMIT_MS },
    );
  } catch (error) {
    throw renderError(error);
  }
  const text = stringify(output);
  if (Buffer.byteLength(text, 'utf8') > MAX_RENDERED_INSTRUCTION_BYTES) {
    throw new InstructionTooLargeError(
      `The rendered instruction exceeds ${MAX_RENDERED_INSTRUCTION_BYTES} bytes`,
    );
  }
  return text;
};

/**
 * The instruction as it can be shown at creation: rendered with the inputs when the template
 * uses no service variable, else null until the environment is ready (`docs/api.md`,
 * `instruction`). `environment_id` counts as available only when `environmentId` is given.
 */
export const renderableNow = (
  manifest: Pick<TemplateManifest, 'instruction' | 'services'>,
  inputs: Readonly<InputValues>,
  environmentId?: string,
): string | null => {
  const deferred = new Set(serviceVariableNames(manifest));
  if (environmentId === undefined) {
    deferred.add(ENVIRONMENT_ID_VARIABLE);
  }
  if (templateVariables(manifest.instruction).some((name) => deferred.has(name))) {
    return null;
  }
  const variables: Record<string, InputValue> = { ...inputs };
  if (environmentId !== undefined) {
    variables[ENVIRONMENT_ID_VARIABLE] = environmentId;
  }
  return renderInstruction(manifest.instruction, variables);
};

/** Where one endpoint is reachable once the environment is ready (a `service_urls` value). */
export interface EndpointAddress {
  readonly url: string;
  readonly host: string;
  readonly port: number;
}

/** Flattens `service_urls` (`{web: {url, host, port}}`) into `web_url`, `web_host`, `web_port`. */
export const serviceVariables = (
  serviceUrls: Readonly<Record<string, EndpointAddress>>,
): Record<string, string | number> =>
  Object.fromEntries(
    Object.entries(serviceUrls).flatMap(([key, address]) => [
      [`${key}_url`, address.url],
      [`${key}_host`, address.host],
      [`${key}_port`, address.port],
    ]),
  );

/**
 * The instruction once the environment is ready: inputs, service variables (see
 * {@link serviceVariables}) and `environment_id` all available.
 */
export const renderWhenReady = (
  manifest: Pick<TemplateManifest, 'instruction'>,
  inputs: Readonly<InputValues>,
  environmentId: string,
  serviceVars: Readonly<Record<string, string | number>>,
): string =>
  renderInstruction(manifest.instruction, {
    ...serviceVars,
    ...inputs,
    [ENVIRONMENT_ID_VARIABLE]: environmentId,
  });

/**
 * Why an error from {@link renderInstruction} failed the render, in words for an environment's
 * `error`: the entries of a 422 (which carry the cause), else the message.
 */
export const renderFailureCause = (error: Error): string =>
  error instanceof ValidationError && error.errors.length > 0
    ? error.errors.map((entry) => entry.msg).join('; ')
    : error.message;

/** What a trial render reads of an input declaration. */
type SampleDeclaration = InputConstraints & { readonly default?: InputValue | undefined };

/** A value of the declared type for a trial render: the default, else the first enum value, else a sample. */
const sampleValue = (declaration: SampleDeclaration): InputValue => {
  if (declaration.default !== undefined) return declaration.default;
  const [first] = declaration.enum ?? [];
  if (first !== undefined) return first;
  switch (declaration.type) {
    case 'string':
      return 'sample';
    case 'boolean':
      return true;
    default: {
      const low = declaration.minimum ?? 1;
      const value = declaration.type === 'integer' ? Math.ceil(low) : low;
      return declaration.maximum === undefined ? value : Math.min(value, declaration.maximum);
    }
  }
};

/** Errors of a render that are about its budget (time, allocation, output) rather than its data. */
const BUDGET_ERRORS: ReadonlySet<string> = new Set(['too_big', 'render_timeout']);

/**
 * Renders a manifest's instruction once with sample values (each input's default or a value of its
 * type, plausible service variables, an environment id) and returns the budget problems: a
 * template that runs out of time, memory or output here would do so at every create, in the
 * request path. Problems that depend on the values (a missing optional input) are left to create.
 */
export const trialRenderProblems = (
  manifest: Pick<TemplateManifest, 'instruction' | 'services'> & {
    readonly inputs: Readonly<Record<string, SampleDeclaration>>;
  },
): FieldError[] => {
  const samples: Record<string, InputValue> = {};
  for (const [name, declaration] of Object.entries(manifest.inputs)) samples[name] = sampleValue(declaration);
  const addresses = Object.fromEntries(
    serviceEndpoints(manifest).map(({ key, port }) => [
      key,
      { url: `http://203.0.113.10:${port}`, host: '203.0.113.10', port },
    ]),
  );
  try {
    renderWhenReady(manifest, samples, '00000000-0000-4000-8000-000000000000', serviceVariables(addresses));
  } catch (error) {
    if (error instanceof ValidationError) {
      return error.errors.filter((entry) => BUDGET_ERRORS.has(entry.type));
    }
    throw error;
  }
  return [];
};
