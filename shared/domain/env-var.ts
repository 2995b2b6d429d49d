/**
 * Rules for what a client may put into a sandbox's environment through a secret: which names
 * (`env_var`) and which values. A secret is chosen by whoever provisions an environment, so it
 * must not be able to change how the task's programs start, only hand them a value.
 */

/** A plain identifier, the only shape the env file format (no quoting) can carry. */
const ENV_VAR_PATTERN = /^[A-Z_][A-Z0-9_]*$/;

/** Set by taskenv itself (`TASKENV_ENVIRONMENT_ID`, `TASKENV_EXECUTE_TOKEN`). */
const TASKENV_ENV_PREFIX = 'TASKENV_';

/**
 * Names that steer how a process is found, linked, configured or started rather than carrying
 * data. Sources: glibc's `UNSECURE_ENVVARS` (what `ld.so` drops for setuid programs,
 * `sysdeps/generic/unsecvars.h`), the shells' start-up variables (bash `BASH_ENV`, POSIX sh
 * `ENV`, `PS4`, `PROMPT_COMMAND`, `IFS`, …), and the language runtimes' option variables
 * (Node, Python, Perl, Ruby, the JVM), plus what ECS and the container runtime set.
 */
const RESERVED_ENV_VARS: ReadonlySet<string> = new Set([
  // Process basics
  'PATH',
  'HOME',
  'SHELL',
  'TMPDIR',
  // The local runtime gives each service its first port here.
  'PORT',
  // Shells
  'ENV',
  'BASH_ENV',
  'BASHOPTS',
  'SHELLOPTS',
  'CDPATH',
  'GLOBIGNORE',
  'IFS',
  'PS4',
  'PROMPT_COMMAND',
  'ZDOTDIR',
  // glibc (unsecvars.h)
  'GCONV_PATH',
  'GETCONF_DIR',
  'GLIBC_TUNABLES',
  'HOSTALIASES',
  'LOCALDOMAIN',
  'LOCPATH',
  'MALLOC_TRACE',
  'NIS_PATH',
  'NLSPATH',
  'RESOLV_HOST_CONF',
  'RES_OPTIONS',
  'TZDIR',
  // Node.js
  'NODE_OPTIONS',
  'NODE_PATH',
  'NODE_EXTRA_CA_CERTS',
  'NODE_TLS_REJECT_UNAUTHORIZED',
  'NODE_REPL_EXTERNAL_MODULE',
  // JVM
  'JAVA_TOOL_OPTIONS',
  '_JAVA_OPTIONS',
  'JDK_JAVA_OPTIONS',
  'CLASSPATH',
  // Others that load code
  'PERL5OPT',
  'PERL5LIB',
  'PERLLIB',
  'RUBYOPT',
  'RUBYLIB',
  'GEM_PATH',
  'GEM_HOME',
]);

/** Prefixes with the same effect as {@link RESERVED_ENV_VARS}. */
const RESERVED_ENV_PREFIXES: readonly string[] = [
  TASKENV_ENV_PREFIX,
  // The dynamic linker (glibc `LD_PRELOAD`, `LD_AUDIT`, …; macOS `DYLD_*`).
  'LD_',
  'DYLD_',
  // Every interpreter setting of CPython (`PYTHONPATH`, `PYTHONSTARTUP`, `PYTHONHOME`, …).
  'PYTHON',
  // bash's exported functions (`BASH_FUNC_name%%`, the Shellshock vector).
  'BASH_FUNC_',
  // glibc's malloc tunables.
  'MALLOC_',
  // What ECS gives a task: the credentials endpoint and the metadata endpoint.
  'AWS_CONTAINER_',
  'ECS_',
];

/**
 * Why `name` cannot be a secret's `env_var`, or null when it can: not an identifier, or one of
 * the names that steer execution ({@link RESERVED_ENV_VARS}, {@link RESERVED_ENV_PREFIXES}).
 */
export const envVarProblem = (name: string): string | null => {
  if (!ENV_VAR_PATTERN.test(name)) {
    return `'${name}' is not a usable environment variable name ([A-Z_][A-Z0-9_]*)`;
  }
  if (RESERVED_ENV_VARS.has(name)) {
    return `'${name}' steers how programs in the sandbox run and cannot be set by a secret`;
  }
  const prefix = RESERVED_ENV_PREFIXES.find((p) => name.startsWith(p));
  if (prefix !== undefined) {
    return prefix === TASKENV_ENV_PREFIX
      ? `Names starting with ${TASKENV_ENV_PREFIX} are reserved for taskenv`
      : `Names starting with ${prefix} steer how programs in the sandbox run and cannot be set by a secret`;
  }
  return null;
};

/** C0 controls (NUL, tab, CR, LF, …), DEL and the C1 controls. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Why `value` cannot be a secret's value, or null: it must be one line without control
 * characters. ECS env files end a variable at a line break, and a NUL cannot reach a process's
 * environment at all (the platform refuses it, quoting the value in its error).
 */
export const secretValueProblem = (value: string): string | null =>
  CONTROL_CHARACTER.test(value)
    ? 'Must be one line without control characters (no CR, LF, NUL or tab); base64-encode binary or multi-line values'
    : null;

/** Longest platform message kept in an environment's `error`. */
export const MAX_PLATFORM_MESSAGE_CHARS = 1024;

/**
 * A message from the container platform (a launch refusal, a stop reason) made fit for an
 * environment's `error`: every occurrence of a value the environment was given (its secrets, its
 * execute token) replaced by `****`, control characters replaced by spaces, and the text capped.
 * Platforms quote the variable they choke on, so nothing they say is trusted to be value-free.
 */
export const redactPlatformMessage = (message: string, values: Iterable<string> = []): string => {
  let text = message;
  // Longest first, so a value that contains another is not left half-shown.
  const sorted = [...values].filter((v) => v.length > 0).sort((a, b) => b.length - a.length);
  for (const value of sorted) text = text.split(value).join('****');
  text = text.replace(new RegExp(CONTROL_CHARACTER.source, 'g'), ' ');
  return text.length > MAX_PLATFORM_MESSAGE_CHARS ? `${text.slice(0, MAX_PLATFORM_MESSAGE_CHARS)}…` : text;
};
