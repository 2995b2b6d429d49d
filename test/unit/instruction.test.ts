import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type FieldError, ValidationError } from '#domain/errors';
import { validateInputs } from '#domain/inputs';
import {
  InstructionTooLargeError,
  MAX_RENDERED_INSTRUCTION_BYTES,
  RENDER_TIME_LIMIT_MS,
  renderableNow,
  renderFailureCause,
  renderInstruction,
  renderWhenReady,
  serviceVariableNames,
  serviceVariables,
  templateVariables,
  trialRenderProblems,
  unknownTemplateVariables,
} from '#domain/instruction';
import { parseManifest, type TaskManifest } from '#domain/manifest';

const designManifest = (instruction: string): TaskManifest =>
  parseManifest({
    name: 'web-sqli',
    version: '1.2.0',
    instruction,
    inputs: {
      user: { type: 'string', default: 'admin' },
      level: { type: 'integer', required: true, minimum: 1, maximum: 5 },
      hint: { type: 'string' },
    },
    services: {
      web: { image: 'nginx', ports: [80] },
      'admin-api': { image: 'node', ports: [8080, 9090] },
    },
  });

/** What `act` threw; fails the test when it returns. */
const thrownBy = (act: () => unknown): unknown => {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error, nothing was thrown');
};

/** The ValidationError `act` throws; anything else is rethrown. */
const validationErrorOf = (act: () => unknown): ValidationError => {
  const error = thrownBy(act);
  if (error instanceof ValidationError) {
    return error;
  }
  throw error;
};

const fieldErrorsOf = (act: () => unknown): readonly FieldError[] => validationErrorOf(act).errors;

/** The ValidationError `act` throws and how long it took to get it. */
const timedValidationErrorOf = (act: () => unknown): { error: ValidationError; ms: number } => {
  const started = performance.now();
  const error = validationErrorOf(act);
  return { error, ms: performance.now() - started };
};

describe('templateVariables', () => {
  it('lists each top-level variable once, in order of first use', () => {
    expect(templateVariables('{{ b }} {{ a.name }} {{ b | append: c }} {{ a }}')).toEqual(['b', 'a', 'c']);
  });

  it('includes variables used only in conditions, ranges and indexes', () => {
    expect(
      templateVariables(
        '{% if debug %}x{% endif %}{% unless quiet %}y{% endunless %}{% for i in (1..n) %}{% endfor %}{{ m[k] }}',
      ),
    ).toEqual(['debug', 'quiet', 'n', 'm', 'k']);
  });

  it('leaves out names the template defines itself', () => {
    const template =
      '{% assign a = 1 %}{{ a }}{% capture c %}x{% endcapture %}{{ c }}{% for i in (1..3) %}{{ i }}{{ forloop.index }}{% endfor %}{% increment n %}';

    expect(templateVariables(template)).toEqual([]);
  });

  it('is empty for plain text', () => {
    expect(templateVariables('Log in as admin.')).toEqual([]);
  });

  it.each([
    '{{ user ',
    '{% if x %}open',
    '{% for %}{% endfor %}',
    '{{ user | no_such_filter }}',
    '{% no_such_tag %}',
  ])('rejects the invalid template %j at the instruction', (template) => {
    expect(fieldErrorsOf(() => templateVariables(template))).toEqual([
      expect.objectContaining({ loc: ['body', 'instruction'], type: 'invalid_template' }),
    ]);
  });

  it('rejects a template over the parse limit', () => {
    expect(fieldErrorsOf(() => templateVariables('x'.repeat(64 * 1024 + 1)))).toEqual([
      { loc: ['body', 'instruction'], msg: 'Must be at most 65536 bytes', type: 'too_big' },
    ]);
  });

  it('quotes the parser on a template that does not parse', () => {
    expect(fieldErrorsOf(() => templateVariables('{% if %}'))).toEqual([
      {
        loc: ['body', 'instruction'],
        msg: 'Invalid instruction template: invalid value expression: "", line:1, col:6',
        type: 'invalid_template',
      },
    ]);
  });

  it('survives absurd nesting as an invalid template, not a crash', () => {
    const template = `${'{{ '}${'('.repeat(20000)}a${')'.repeat(20000)} }}`;

    expect(fieldErrorsOf(() => templateVariables(template))[0]?.type).toBe('invalid_template');
  });
});

describe('service variables', () => {
  it('offers _url, _host and _port for every endpoint key', () => {
    expect(serviceVariableNames(designManifest('x'))).toEqual([
      'web_url',
      'web_host',
      'web_port',
      'admin_api_8080_url',
      'admin_api_8080_host',
      'admin_api_8080_port',
      'admin_api_9090_url',
      'admin_api_9090_host',
      'admin_api_9090_port',
    ]);
  });

  it('flattens service_urls into template variables', () => {
    expect(serviceVariables({ web: { url: 'http://10.0.0.1:80', host: '10.0.0.1', port: 80 } })).toEqual({
      web_url: 'http://10.0.0.1:80',
      web_host: '10.0.0.1',
      web_port: 80,
    });
  });
});

describe('unknownTemplateVariables', () => {
  it('lists what is neither an input, a service variable nor environment_id', () => {
    // Prepare
    const manifest = {
      ...designManifest('x'),
      instruction: '{{ environment_id }} {{ user }} {{ web_url }} {{ web_80_url }} {{ usr }}',
    };

    // Act
    const unknown = unknownTemplateVariables(manifest);

    // Assess
    expect(unknown).toEqual(['web_80_url', 'usr']);
  });
});

describe('renderInstruction', () => {
  it('renders strings, numbers and booleans as text', () => {
    expect(
      renderInstruction('{{ user }} at level {{ level }}, hard={{ hard }}', {
        user: 'bob',
        level: 3,
        hard: false,
      }),
    ).toBe('bob at level 3, hard=false');
  });

  it('supports filters and control flow', () => {
    expect(
      renderInstruction(
        '{{ user | upcase }}{% if level > 2 %} (hard){% endif %}{% for i in (1..level) %}*{% endfor %}',
        {
          user: 'bob',
          level: 3,
        },
      ),
    ).toBe('BOB (hard)***');
  });

  it('does not HTML-escape values (instructions are plain text)', () => {
    expect(renderInstruction('{{ q }}', { q: `' OR 1=1 -- <b>&` })).toBe(`' OR 1=1 -- <b>&`);
  });

  it('names a variable that has no value', () => {
    expect(fieldErrorsOf(() => renderInstruction('Hello {{ user }}', {}))).toEqual([
      {
        loc: ['body', 'inputs', 'user'],
        msg: "The instruction uses 'user' but no value was given for it",
        type: 'missing',
      },
    ]);
  });

  it('names the variable when a missing property is read', () => {
    expect(fieldErrorsOf(() => renderInstruction('{{ user.email }}', { user: 'bob' }))).toEqual([
      expect.objectContaining({
        loc: ['body', 'inputs', 'user'],
        msg: expect.stringContaining("'user.email'"),
      }),
    ]);
  });

  it('lets an optional input be guarded with if or default', () => {
    expect(renderInstruction('A{% if hint %} hint: {{ hint }}{% endif %}', {})).toBe('A');
    expect(renderInstruction('A{% if hint %} hint: {{ hint }}{% endif %}', { hint: 'look left' })).toBe(
      'A hint: look left',
    );
    expect(renderInstruction('{{ hint | default: "none" }}', {})).toBe('none');
  });

  it('does not modify the variables it is given', () => {
    const variables = { n: 1 };

    expect(renderInstruction('{% increment n %}{% increment n %}', variables)).toBe('12');
    expect(variables).toEqual({ n: 1 });
  });

  it('reports a filter failing on a value as a 422 on the instruction', () => {
    // `url_decode` throws on a malformed escape; the template is fine, this value is not.
    expect(fieldErrorsOf(() => renderInstruction('{{ q | url_decode }}', { q: '%E0%A4%A' }))).toEqual([
      {
        loc: ['body', 'instruction'],
        msg: 'The instruction could not be rendered: URI malformed, line:1, col:1',
        type: 'render_error',
      },
    ]);
  });

  it('renders any text without Liquid markup verbatim (property)', () => {
    fc.assert(
      fc.property(
        fc.string().filter((text) => !text.includes('{{') && !text.includes('{%')),
        (text) => {
          expect(renderInstruction(text, {})).toBe(text);
        },
      ),
    );
  });

  it('prints any string value verbatim (property)', () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        expect(renderInstruction('[{{ v }}]', { v: value })).toBe(`[${value}]`);
      }),
    );
  });

  describe('file system', () => {
    it.each([
      ['include', '{% include "/etc/passwd" %}'],
      ['include (relative)', '{% include "package.json" %}'],
      ['include (dynamic)', '{% include path %}'],
      ['render', '{% render "/etc/passwd" %}'],
      ['layout', '{% layout "/etc/passwd" %}body'],
      ['include inside a liquid tag', '{% liquid\ninclude "/etc/passwd"\n%}'],
    ])('refuses %s, without leaking file content', (_tag, template) => {
      // Prepare
      const projectFile = readFileSync('package.json', 'utf8');

      // Act
      const onRender = validationErrorOf(() => renderInstruction(template, { path: '/etc/passwd' }));
      const onAnalysis = validationErrorOf(() => templateVariables(template));

      // Assess
      for (const error of [onRender, onAnalysis]) {
        const text = JSON.stringify(error.errors) + error.message;
        expect(text).not.toContain('root:');
        expect(text).not.toContain(projectFile.slice(0, 40));
        expect(error.errors).toEqual([
          expect.objectContaining({ loc: ['body', 'instruction'], type: 'invalid_template' }),
        ]);
      }
    });
  });

  describe('limits', () => {
    // The size budgets are under test here: on a loaded machine the default wall-clock limit
    // could stop these renders first, so it is lifted. "would exceed" / "would allocate" in the
    // message says the render was stopped while writing, not measured after it finished.
    const clockLifted = { timeLimitMs: 60_000 };

    it('cuts off a loop that would print 1 MB while it prints', () => {
      // Prepare: 100 000 × 10 characters.
      const template = '{% for i in (1..100000) %}0123456789{% endfor %}';

      // Act
      const error = validationErrorOf(() => renderInstruction(template, {}, clockLifted));

      // Assess
      expect(error).toBeInstanceOf(InstructionTooLargeError);
      expect(error.errors).toEqual([
        expect.objectContaining({
          loc: ['body', 'instruction'],
          type: 'too_big',
          msg: `The rendered instruction would exceed ${MAX_RENDERED_INSTRUCTION_BYTES} bytes`,
        }),
      ]);
    });

    it('cuts off output while it is being written, in loops and captures', () => {
      // Prepare: a million writes of 1 000 characters, yet only about a million allocation units
      // of loop ranges, which liquidjs alone would let through.
      const line = 'x'.repeat(1000);
      const printed = '{% for i in (1..1000) %}{% for j in (1..1000) %}{{ line }}{% endfor %}{% endfor %}';
      const captured =
        '{% for i in (1..1000) %}{% capture c %}{% for j in (1..1000) %}{{ line }}{% endfor %}{% endcapture %}{% endfor %}';

      for (const template of [printed, captured]) {
        // Act
        const error = validationErrorOf(() => renderInstruction(template, { line }, clockLifted));

        // Assess
        expect(error).toBeInstanceOf(InstructionTooLargeError);
        expect(error.errors[0]?.msg).toContain('would');
      }
    });

    it('cuts off a string doubled by filters before it is built', () => {
      const template =
        '{% assign s = "0123456789" %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s | size }}';

      const error = validationErrorOf(() => renderInstruction(template, {}, clockLifted));

      expect(error).toBeInstanceOf(InstructionTooLargeError);
      expect(error.errors[0]?.msg).toContain('would allocate');
    });

    it('cuts off a huge range without allocating it', () => {
      const error = validationErrorOf(() =>
        renderInstruction('{% for i in (1..1000000000) %}{% endfor %}', {}, clockLifted),
      );

      expect(error).toBeInstanceOf(InstructionTooLargeError);
      expect(error.errors[0]?.msg).toContain('would allocate');
    });

    it('measures the rendered size in UTF-8 bytes', () => {
      // 'é' is two bytes: 140 000 characters fit the character budget, 280 000 bytes do not.
      const error = validationErrorOf(() => renderInstruction('{{ e }}', { e: 'é'.repeat(140_000) }));

      expect(error).toBeInstanceOf(InstructionTooLargeError);
      expect(error.message).toBe('Instruction too large');
      expect(error.errors).toEqual([
        {
          loc: ['body', 'instruction'],
          msg: 'The rendered instruction exceeds 262144 bytes',
          type: 'too_big',
        },
      ]);
    });

    it('accepts output just under the limit', () => {
      const text = renderInstruction(
        '{% for i in (1..2000) %}{{ line }}{% endfor %}',
        { line: 'x'.repeat(100) },
        clockLifted,
      );

      expect(text).toHaveLength(200_000);
      expect(text.length).toBeLessThan(MAX_RENDERED_INSTRUCTION_BYTES);
    });

    it('stops a render that runs too long', () => {
      // Prepare: about a million cheap iterations, well inside the memory budget.
      const template =
        '{% for i in (1..99) %}{% for j in (1..99) %}{% for k in (1..99) %}' +
        '{% assign x = k | plus: j | times: i | modulo: 7 | minus: 1 | abs %}' +
        '{% endfor %}{% endfor %}{% endfor %}';

      // Act
      const { error, ms } = timedValidationErrorOf(() => renderInstruction(template, {}));

      // Assess
      expect(error.errors).toEqual([
        { loc: ['body', 'instruction'], msg: 'Rendering took longer than 250 ms', type: 'render_timeout' },
      ]);
      expect(ms).toBeLessThan(RENDER_TIME_LIMIT_MS + 1000);
    });
  });

  it('keeps one render to 250 ms (was 500), so a slow template holds the local API that long at most', () => {
    expect(RENDER_TIME_LIMIT_MS).toBeLessThanOrEqual(250);
  });
});

describe('publish-time trial render', () => {
  const slowLoop =
    '{% for i in (1..{{N}}) %}{% for j in (1..99) %}{% for k in (1..99) %}' +
    '{% assign x = k | plus: j | times: i | modulo: 7 %}{% endfor %}{% endfor %}{% endfor %}';

  it('refuses a manifest whose instruction exceeds the render budget with sample values', () => {
    // Prepare: the loop bound is an input; its default makes the render run out of time.
    const json = {
      name: 'slow',
      version: '1.0.0',
      instruction: `${slowLoop.replace('{{N}}', 'rounds')} Open {{ web_url }}.`,
      inputs: { rounds: { type: 'integer', default: 99 } },
      services: { web: { image: 'nginx', ports: [80] } },
    };

    // Act
    const { error, ms } = timedValidationErrorOf(() => parseManifest(json));

    // Assess
    expect(error.errors).toEqual([
      expect.objectContaining({ loc: ['body', 'instruction'], type: 'render_timeout' }),
    ]);
    expect(ms).toBeLessThan(RENDER_TIME_LIMIT_MS + 1000);
  });

  it('publishes a template whose only failure depends on the values (an unguarded optional input)', () => {
    const manifest = parseManifest({
      name: 'fine',
      version: '1.0.0',
      instruction: 'Open {{ web_url }} with {{ hint }} and {% for i in (1..level) %}{{ i }}{% endfor %}',
      inputs: { hint: { type: 'string' }, level: { type: 'integer', minimum: 2, maximum: 5 } },
      services: { web: { image: 'nginx', ports: [80] } },
    });

    expect(manifest.name).toBe('fine');
  });
});

describe('renderableNow', () => {
  it('renders at once when the template uses only inputs', () => {
    // Prepare
    const manifest = designManifest('Take over {{ user }} (level {{ level }}).');

    // Act
    const instruction = renderableNow(manifest, validateInputs(manifest.inputs, { level: 2 }));

    // Assess
    expect(instruction).toBe('Take over admin (level 2).');
  });

  it('waits for readiness when the template uses a service variable', () => {
    const manifest = designManifest('Open {{ web_url }} as {{ user }}.');

    expect(renderableNow(manifest, validateInputs(manifest.inputs, { level: 2 }))).toBeNull();
  });

  it('waits for readiness when a service variable is only used in a condition', () => {
    const manifest = designManifest('{% if admin_api_8080_url %}API up{% endif %}');

    expect(renderableNow(manifest, { level: 2 })).toBeNull();
  });

  it('renders environment_id when the id is known, else waits', () => {
    const manifest = designManifest('Environment {{ environment_id }}.');

    expect(renderableNow(manifest, { level: 2 })).toBeNull();
    expect(renderableNow(manifest, { level: 2 }, 'env-123')).toBe('Environment env-123.');
  });

  it('names a declared input that was neither given nor defaulted', () => {
    // Prepare: `hint` is optional and has no default, but the template prints it unguarded.
    const manifest = designManifest('Hint: {{ hint }}');
    const inputs = validateInputs(manifest.inputs, { level: 1 });

    // Act
    const errors = fieldErrorsOf(() => renderableNow(manifest, inputs));

    // Assess
    expect(errors).toEqual([expect.objectContaining({ loc: ['body', 'inputs', 'hint'], type: 'missing' })]);
    expect(errors[0]?.msg).toContain("'hint'");
  });
});

describe('renderWhenReady', () => {
  it('renders the example manifest instruction with inputs, service variables and the environment id', () => {
    // Prepare
    const manifest = designManifest(
      'Log in to {{ web_url }}/login as admin without the password. Target user: {{ user }}.\n' +
        'API: {{ admin_api_9090_host }}:{{ admin_api_9090_port }} ({{ environment_id }})',
    );
    const inputs = validateInputs(manifest.inputs, { level: 4 });
    const urls = {
      web: { url: 'http://203.0.113.7:80', host: '203.0.113.7', port: 80 },
      admin_api_8080: { url: 'http://203.0.113.7:8080', host: '203.0.113.7', port: 8080 },
      admin_api_9090: { url: 'http://203.0.113.7:9090', host: '203.0.113.7', port: 9090 },
    };

    // Act
    const instruction = renderWhenReady(manifest, inputs, 'env-42', serviceVariables(urls));

    // Assess
    expect(instruction).toBe(
      'Log in to http://203.0.113.7:80/login as admin without the password. Target user: admin.\n' +
        'API: 203.0.113.7:9090 (env-42)',
    );
  });

  it('names a service variable that was not supplied', () => {
    const manifest = designManifest('Open {{ web_url }}');

    expect(fieldErrorsOf(() => renderWhenReady(manifest, { level: 1 }, 'env-1', {}))).toEqual([
      expect.objectContaining({ loc: ['body', 'inputs', 'web_url'], type: 'missing' }),
    ]);
  });
});

describe('the sample values of a trial render', () => {
  // A range of two million items is over the allocation budget before it is walked: the
  // template fails the trial render exactly when the condition holds for the sample values.
  const overBudgetIf = (condition: string): string =>
    `{% if ${condition} %}{% for i in (1..2000000) %}x{% endfor %}{% endif %}`;
  const problemsOf = (condition: string, inputs: Parameters<typeof trialRenderProblems>[0]['inputs']) =>
    trialRenderProblems({
      instruction: overBudgetIf(condition),
      inputs,
      services: { web: { ports: [8080] } },
    }).map((problem) => problem.type);

  it.each([
    ['x == "d"', { x: { type: 'string', default: 'd', enum: ['e', 'd'] } }],
    ['x == "e"', { x: { type: 'string', enum: ['e', 'd'] } }],
    ['x == "sample"', { x: { type: 'string' } }],
    ['x == true', { x: { type: 'boolean' } }],
    ['x == 1', { x: { type: 'integer' } }],
    ['x == 3', { x: { type: 'integer', minimum: 2.5 } }],
    ['x == 2.5', { x: { type: 'number', minimum: 2.5 } }],
    ['x == 0', { x: { type: 'integer', maximum: 0 } }],
    ['x == 4', { x: { type: 'integer', minimum: 4, maximum: 9 } }],
    ['web_url == "http://203.0.113.10:8080"', {}],
    ['web_host == "203.0.113.10" and web_port == 8080', {}],
    ['environment_id == "00000000-0000-4000-8000-000000000000"', {}],
  ] as const)('renders with %s', (condition, inputs) => {
    expect(problemsOf(condition, inputs)).toEqual(['too_big']);
    expect(problemsOf(`${condition} and false`, inputs)).toEqual([]);
  });

  it('reports only budget problems, not what depends on the values', () => {
    // With the sample 'sample', `hint.first` has no value: a 'missing' entry, left to create.
    expect(
      trialRenderProblems({
        instruction: '{{ hint.first.second }}',
        inputs: { hint: { type: 'string' } },
        services: {},
      }),
    ).toEqual([]);
  });
});

describe('renderFailureCause', () => {
  it('joins the entries of a 422, else gives the message', () => {
    const error = new ValidationError([
      { loc: ['body', 'inputs', 'a'], msg: 'first', type: 'missing' },
      { loc: ['body', 'inputs', 'b'], msg: 'second', type: 'missing' },
    ]);
    expect(renderFailureCause(error)).toBe('first; second');
    expect(renderFailureCause(new ValidationError([], 'Manifest invalid'))).toBe('Manifest invalid');
    expect(renderFailureCause(new Error('boom'))).toBe('boom');
  });
});
