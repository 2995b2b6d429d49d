/**
 * Where the CLI finds its API, key, org and workspace. Each setting is taken from the first
 * source that has it: flags, then `TASKENV_*` environment variables, then the config file, then
 * the running local stack (`npm start`), found through the `.taskenv/stack.json` nearest to the
 * working directory (walking up), then the local dev defaults.
 *
 * {@link resolveSettings} is pure; {@link loadSettings} only adds the file reads.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import * as z from '#shared/zod';
import { findLocalStack } from '../sdk/local-stack.ts';

export const LOCAL_DEFAULTS = {
  apiUrl: 'http://127.0.0.1:8787',
  org: 'local',
  workspace: 'default',
} as const;

/** A config file, settings file or data-dir problem the user has to fix; the CLI exits 2. */
export class SettingsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SettingsError';
  }
}

export interface SettingsFlags {
  readonly apiUrl?: string | undefined;
  readonly apiKey?: string | undefined;
  readonly org?: string | undefined;
  readonly workspace?: string | undefined;
}

export type Environment = Readonly<Record<string, string | undefined>>;

const setting = z.optional(z.string().check(z.minLength(1)));
const configFileSchema = z.strictObject({
  api_url: setting,
  api_key: setting,
  org: setting,
  workspace: setting,
});
export type ConfigFile = z.infer<typeof configFileSchema>;

export type SettingSource = 'flag' | 'env' | 'config' | 'stack' | 'default';

export interface Settings {
  /** Without a trailing slash. */
  readonly apiUrl: string;
  /** Null when no source has one; requests then go out unauthenticated and the API answers 401. */
  readonly apiKey: string | null;
  readonly org: string;
  readonly workspace: string;
  /** Which source won each setting; shown in hints when a request fails. */
  readonly sources: {
    readonly apiUrl: SettingSource;
    readonly apiKey: SettingSource | null;
    readonly org: SettingSource;
    readonly workspace: SettingSource;
  };
}

export interface SettingsSources {
  readonly flags: SettingsFlags;
  readonly env: Environment;
  readonly config: ConfigFile | null;
  /** The key the local stack wrote to `<data dir>/api-key`, if any. */
  readonly localApiKey: string | null;
  /** The API a running local stack announced in `<data dir>/stack.json`, if any. */
  readonly localApiUrl?: string | null;
}

/** An empty variable (`TASKENV_ORG=`) is how shells unset things, so it counts as absent. */
const present = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value.trim();

interface Picked {
  readonly value: string;
  readonly source: SettingSource;
}

const pick = (candidates: readonly (readonly [SettingSource, string | undefined])[]): Picked | null => {
  for (const [source, raw] of candidates) {
    const value = present(raw);
    if (value !== undefined) return { value, source };
  }
  return null;
};

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The local stack's key is only offered to a loopback API: sending it to a remote server would
 * leak a credential for no gain, since no remote server accepts it.
 */
export const isLoopbackUrl = (url: string): boolean => {
  try {
    return LOOPBACK_HOSTS.has(new URL(url).hostname);
  } catch {
    return false;
  }
};

const normaliseApiUrl = (raw: string, source: SettingSource): string => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (error) {
    throw new SettingsError(`API URL '${raw}' (from ${source}) is not a valid URL`, { cause: error });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SettingsError(`API URL '${raw}' (from ${source}) must use http or https`);
  }
  return raw.replace(/\/+$/, '');
};

/** Applies the precedence flags → env → config file → local dev defaults, setting by setting. */
export const resolveSettings = ({
  flags,
  env,
  config,
  localApiKey,
  localApiUrl = null,
}: SettingsSources): Settings => {
  const fromSources = (
    flag: string | undefined,
    envVar: string | undefined,
    configValue: string | undefined,
  ) =>
    pick([
      ['flag', flag],
      ['env', envVar],
      ['config', configValue],
    ]);
  const apiUrlPick = fromSources(flags.apiUrl, env.TASKENV_API_URL, config?.api_url) ??
    pick([['stack', localApiUrl ?? undefined]]) ?? {
      value: LOCAL_DEFAULTS.apiUrl,
      source: 'default',
    };
  const apiUrl = normaliseApiUrl(apiUrlPick.value, apiUrlPick.source);
  const apiKey =
    fromSources(flags.apiKey, env.TASKENV_API_KEY, config?.api_key) ??
    (isLoopbackUrl(apiUrl) ? pick([['stack', localApiKey ?? undefined]]) : null);
  const org = fromSources(flags.org, env.TASKENV_ORG, config?.org) ?? {
    value: LOCAL_DEFAULTS.org,
    source: 'default',
  };
  const workspace = fromSources(flags.workspace, env.TASKENV_WORKSPACE, config?.workspace) ?? {
    value: LOCAL_DEFAULTS.workspace,
    source: 'default',
  };

  return {
    apiUrl,
    apiKey: apiKey?.value ?? null,
    org: org.value,
    workspace: workspace.value,
    sources: {
      apiUrl: apiUrlPick.source,
      apiKey: apiKey?.source ?? null,
      org: org.source,
      workspace: workspace.source,
    },
  };
};

export interface ConfigLocation {
  readonly path: string;
  /** True when `TASKENV_CONFIG` names the file, which then must exist. */
  readonly explicit: boolean;
}

/** `$TASKENV_CONFIG`, else `$XDG_CONFIG_HOME/taskenv/config.json`, else `~/.config/taskenv/config.json`. */
export const configLocation = (env: Environment): ConfigLocation => {
  const explicit = present(env.TASKENV_CONFIG);
  if (explicit !== undefined) return { path: explicit, explicit: true };
  const configHome = present(env.XDG_CONFIG_HOME) ?? join(present(env.HOME) ?? homedir(), '.config');
  return { path: join(configHome, 'taskenv', 'config.json'), explicit: false };
};

/** Parses a config file's text; unknown keys are refused so a typo (`apiUrl`) does not go unnoticed. */
export const parseConfigFile = (text: string, path: string): ConfigFile => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SettingsError(`config file ${path} is not valid JSON`, { cause: error });
  }
  const parsed = z.safeParse(configFileSchema, json);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
    throw new SettingsError(
      `config file ${path} is not valid (${problems}); allowed keys: api_url, api_key, org, workspace`,
    );
  }
  return parsed.data;
};

const isMissingFile = (error: unknown): boolean =>
  error instanceof Error && 'code' in error && (error.code === 'ENOENT' || error.code === 'ENOTDIR');

const readIfPresent = async (path: string): Promise<string | null> => {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (isMissingFile(error)) return null;
    throw new SettingsError(
      `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
};

/** Reads the config file and the nearest local stack's files, then {@link resolveSettings}. */
export const loadSettings = async (
  flags: SettingsFlags,
  env: Environment,
  cwd: string,
): Promise<Settings> => {
  const location = configLocation(env);
  const configPath = resolve(cwd, location.path);
  const configText = await readIfPresent(configPath);
  if (configText === null && location.explicit) {
    throw new SettingsError(`TASKENV_CONFIG names ${configPath}, which does not exist`);
  }
  let stack: ReturnType<typeof findLocalStack>;
  try {
    stack = findLocalStack(cwd, env);
  } catch (error) {
    throw new SettingsError(
      `cannot read the local stack's data dir: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  return resolveSettings({
    flags,
    env,
    config: configText === null ? null : parseConfigFile(configText, configPath),
    localApiKey: stack?.apiKey ?? null,
    localApiUrl: stack?.apiUrl ?? null,
  });
};
