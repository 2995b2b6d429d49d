/**
 * What clients send (`docs/api.md`): bodies, query strings and path parameters. The Lambdas build
 * these at load to validate requests; the response shapes live in `responses.ts`, which only the
 * OpenAPI document and the types need, so no function pays for building them.
 *
 * One file per function under `requests/`: the route table names each function's schemas from
 * its own file, so a function's bundle builds only its own (esbuild drops whole unused files of
 * this `sideEffects: false` package, but not unused schemas of a file it keeps).
 */
export * from './requests/admin.ts';
export * from './requests/create.ts';
export * from './requests/exec.ts';
export * from './requests/manage.ts';
export * from './requests/paths.ts';
export * from './requests/read.ts';
export * from './requests/secrets.ts';
