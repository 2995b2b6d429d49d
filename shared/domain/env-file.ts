/**
 * The env file format ECS reads from `environmentFiles` (and the local runtimes read the same):
 * `NAME=value` per line, no quoting or escaping. Pure, so both the S3 and the local adapter use
 * it without either loading the other's client.
 */

/** No quoting in the format, so a name is kept to a plain identifier. */
const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * One `NAME=value` line per variable, sorted so the same variables give the same file. A line
 * break in a value would start a new variable inside the sandbox, so it is refused here even
 * though callers validate first.
 */
export const renderEnvFile = (variables: Readonly<Record<string, string>>): string =>
  Object.entries(variables)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, value]) => {
      if (!ENV_NAME_PATTERN.test(name)) {
        throw new Error(`Env file variable name '${name}' is not a valid identifier`);
      }
      if (/[\r\n]/.test(value)) {
        // The value is likely a secret: name the variable, never echo the value.
        throw new Error(
          `Env file variable '${name}' contains a line break, which the env file format cannot hold`,
        );
      }
      return `${name}=${value}\n`;
    })
    .join('');

/**
 * Parses an env file as ECS does: split at the first `=`, the value kept verbatim; blank lines
 * and `#` comments are skipped.
 */
export const parseEnvFile = (text: string, source: string): Record<string, string> => {
  const variables: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const separator = line.indexOf('=');
    if (separator <= 0) {
      // Say where, not what: the line may hold a secret.
      throw new Error(`Env file ${source} has a line without NAME=value`);
    }
    variables[line.slice(0, separator)] = line.slice(separator + 1);
  }
  return variables;
};
