/**
 * The zod every Lambda bundles: `zod/mini`, the functional API of zod 4, instead of the classic
 * chained one. Classic zod costs ~450 KB and ~18 ms of module init per function (docs/design.md,
 * "Targets": cold start); mini runs the same core, so rules and issues are the same.
 *
 * Import it as a namespace, `import * as z from '#shared/zod'`: esbuild then keeps only the
 * functions used. Importing zod's own `z` object (`import { z } from 'zod/mini'`) bundles all of
 * zod again.
 *
 * Mini ships without a locale, so every message would read "Invalid input". This module sets the
 * English messages classic zod sets by default, and every module that declares or parses a schema
 * imports zod from here. Only `en` is imported: `z.locales` holds every language.
 *
 * Every schema is built after this module's `config` calls (they import zod from here), so the
 * `jitless` setting, which zod reads when it builds an object schema, applies to all of them.
 */

import {
  config,
  looseObject as miniLooseObject,
  object as miniObject,
  strictObject as miniStrictObject,
  string as miniString,
} from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());
// No code generation: zod 4 compiles a `new Function` parser for each object schema on its first
// parse. Each Lambda parses a schema a handful of times per process, mostly once on its cold
// start, where compiling that code costs more than it ever saves (docs/design.md, "Targets": cold
// start); the interpreted parser accepts and rejects exactly the same input.
config({ jitless: true });

export * from 'zod/mini';

// The package is `"sideEffects": false`, so esbuild drops a module whose exports are all
// re-exports, and the `config` call with it: the Lambdas would answer "Invalid input". These
// constructors are this module's own bindings (they shadow the re-exports), so any bundle that
// builds an object or string schema keeps this module and its locale.
export const object = miniObject;
export const strictObject = miniStrictObject;
export const looseObject = miniLooseObject;
export const string = miniString;

/**
 * A schema built on its first use rather than when its module loads. A cold start builds every
 * module-scope schema of the bundle, used or not (a function that never reads a pool still
 * loaded the pool codec); a schema only some invocations parse is cheaper behind this
 * (docs/benchmarks.md, "Cold start").
 */
export const onFirstUse = <S>(build: () => S): (() => S) => {
  let built: S | undefined;
  return () => {
    built ??= build();
    return built;
  };
};
