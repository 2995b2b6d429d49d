/** Human-readable renderings of API resources. `--json` bypasses all of this. */
import type { EnvironmentResponse, EnvironmentStatusResponse } from '#domain/api-schemas';
import type { ServiceUrls } from '#domain/environment';
import type { Envelope } from './client.ts';

/** Columns padded to their widest cell; the last column is not padded so lines carry no trailing blanks. */
export const table = (header: readonly string[], rows: readonly (readonly string[])[]): string => {
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)));
  return all
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
    .concat('\n');
};

/** `key: value` lines with the values aligned. */
export const keyValues = (pairs: readonly (readonly [string, string])[]): string => {
  const width = Math.max(...pairs.map(([key]) => key.length + 1));
  return pairs
    .map(([key, value]) => `${`${key}:`.padEnd(width)}  ${value}`.trimEnd())
    .join('\n')
    .concat('\n');
};

export const indent = (text: string, by = '  '): string =>
  text
    .split('\n')
    .map((line) => (line === '' ? line : `${by}${line}`))
    .join('\n');

const orDash = (value: string | null | undefined): string =>
  value === null || value === undefined ? '-' : value;

const serviceLines = (urls: ServiceUrls): string => {
  const entries = Object.entries(urls);
  const width = Math.max(...entries.map(([key]) => key.length));
  return entries.map(([key, service]) => `  ${key.padEnd(width)}  ${service.url}`).join('\n');
};

/** One environment (or its status snapshot), with service URLs and the instruction below the fields. */
export const formatEnvironment = (env: EnvironmentResponse | EnvironmentStatusResponse): string => {
  const pairs: [string, string][] = [['id', env.id]];
  if ('task_ref' in env) pairs.push(['task', env.task_ref]);
  pairs.push(['state', env.state]);
  if ('project_id' in env) pairs.push(['project', env.project_id], ['created', env.created_at]);
  pairs.push(['expires', orDash(env.expires_at)]);
  if (env.error !== null) pairs.push(['error', env.error]);
  if ('execute_token' in env && env.execute_token !== null) {
    // The API returns the token only in the creation response; say so where it is shown.
    pairs.push(['execute token', `${env.execute_token}  (shown once)`]);
  }
  let out = keyValues(pairs);
  if (env.service_urls !== null && Object.keys(env.service_urls).length > 0) {
    out += `services:\n${serviceLines(env.service_urls)}\n`;
  }
  if ('instruction' in env && env.instruction !== null) {
    out += `instruction:\n${indent(env.instruction.trimEnd())}\n`;
  }
  return out;
};

export const formatEnvironmentList = (environments: readonly EnvironmentResponse[]): string =>
  table(
    ['ID', 'STATE', 'TASK', 'PROJECT', 'CREATED', 'EXPIRES'],
    environments.map((env) => [
      env.id,
      env.state,
      env.task_ref,
      env.project_id,
      env.created_at,
      orDash(env.expires_at),
    ]),
  );

/** `error: <detail>` and one `  <loc>: <msg>` line per field error. */
export const formatEnvelope = (envelope: Envelope): string => {
  const lines = [`error: ${envelope.detail}`];
  for (const fieldError of envelope.errors ?? [])
    lines.push(`  ${fieldError.loc.join('.')}: ${fieldError.msg}`);
  return `${lines.join('\n')}\n`;
};
