import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  configLocation,
  LOCAL_DEFAULTS,
  loadSettings,
  parseConfigFile,
  resolveSettings,
  SettingsError,
} from '#cli/settings';

const config = {
  api_url: 'https://config.example',
  api_key: 'key-config',
  org: 'org-config',
  workspace: 'ws-config',
};
const env = {
  TASKENV_API_URL: 'https://env.example',
  TASKENV_API_KEY: 'key-env',
  TASKENV_ORG: 'org-env',
  TASKENV_WORKSPACE: 'ws-env',
};
const flags = { apiUrl: 'https://flag.example/', apiKey: 'key-flag', org: 'org-flag', workspace: 'ws-flag' };

describe('resolveSettings', () => {
  it('takes flags over env over config over defaults, setting by setting', () => {
    // Prepare
    const sources = {
      flags: { apiKey: flags.apiKey },
      env: { TASKENV_ORG: env.TASKENV_ORG },
      config: { workspace: config.workspace },
      localApiKey: 'key-local',
    };

    // Act
    const settings = resolveSettings(sources);

    // Assess
    expect(settings).toEqual({
      apiUrl: LOCAL_DEFAULTS.apiUrl,
      apiKey: 'key-flag',
      org: 'org-env',
      workspace: 'ws-config',
      sources: { apiUrl: 'default', apiKey: 'flag', org: 'env', workspace: 'config' },
    });
  });

  it.each([
    [
      'flags',
      flags,
      env,
      config,
      { apiUrl: 'https://flag.example', apiKey: 'key-flag', org: 'org-flag', workspace: 'ws-flag' },
    ],
    [
      'env',
      {},
      env,
      config,
      { apiUrl: 'https://env.example', apiKey: 'key-env', org: 'org-env', workspace: 'ws-env' },
    ],
    [
      'config',
      {},
      {},
      config,
      { apiUrl: 'https://config.example', apiKey: 'key-config', org: 'org-config', workspace: 'ws-config' },
    ],
  ])(
    'lets %s win when every source has every setting below it',
    (_, flagSource, envSource, configSource, expected) => {
      // Act
      const settings = resolveSettings({
        flags: flagSource,
        env: envSource,
        config: configSource,
        localApiKey: 'key-local',
      });

      // Assess
      expect(settings).toMatchObject(expected);
    },
  );

  it('falls back to the local stack, with the key from its data dir', () => {
    // Act
    const settings = resolveSettings({ flags: {}, env: {}, config: null, localApiKey: 'key-local' });

    // Assess
    expect(settings).toMatchObject({
      apiUrl: 'http://127.0.0.1:8787',
      apiKey: 'key-local',
      org: 'local',
      workspace: 'default',
    });
  });

  it('never offers the local key to a remote API', () => {
    // Act
    const settings = resolveSettings({
      flags: {},
      env: { TASKENV_API_URL: 'https://api.example.com' },
      config: null,
      localApiKey: 'key-local',
    });

    // Assess
    expect(settings.apiKey).toBeNull();
    expect(settings.sources.apiKey).toBeNull();
  });

  it('treats an empty variable as unset', () => {
    // Act
    const settings = resolveSettings({
      flags: {},
      env: { TASKENV_ORG: '' },
      config: { org: 'org-config' },
      localApiKey: null,
    });

    // Assess
    expect(settings.org).toBe('org-config');
  });

  it('refuses an API URL that is not http(s)', () => {
    // Act
    const resolve = () =>
      resolveSettings({ flags: { apiUrl: 'ftp://x' }, env: {}, config: null, localApiKey: null });

    // Assess
    expect(resolve).toThrow(SettingsError);
  });
});

describe('parseConfigFile', () => {
  it('refuses unknown keys so a misspelt setting is noticed', () => {
    // Act
    const parse = () => parseConfigFile('{"apiUrl": "http://x"}', '/c.json');

    // Assess
    expect(parse).toThrow(/apiUrl/);
  });

  it('refuses text that is not JSON, naming the file', () => {
    // Act
    const parse = () => parseConfigFile('api_url: x', '/home/me/c.json');

    // Assess
    expect(parse).toThrow(/\/home\/me\/c\.json is not valid JSON/);
  });
});

describe('configLocation', () => {
  it('prefers TASKENV_CONFIG, then XDG_CONFIG_HOME, then ~/.config', () => {
    // Act
    const explicit = configLocation({ TASKENV_CONFIG: '/etc/t.json', HOME: '/home/me' });
    const xdg = configLocation({ XDG_CONFIG_HOME: '/xdg', HOME: '/home/me' });
    const home = configLocation({ HOME: '/home/me' });

    // Assess
    expect(explicit).toEqual({ path: '/etc/t.json', explicit: true });
    expect(xdg).toEqual({ path: '/xdg/taskenv/config.json', explicit: false });
    expect(home).toEqual({ path: '/home/me/.config/taskenv/config.json', explicit: false });
  });
});

describe('loadSettings', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'taskenv-settings-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the config file and the data dir key', async () => {
    // Prepare
    await writeFile(join(dir, 'config.json'), JSON.stringify({ org: 'acme' }));
    await mkdir(join(dir, 'data'));
    await writeFile(join(dir, 'data', 'api-key'), 'tk_local\n');

    // Act
    const settings = await loadSettings(
      {},
      { TASKENV_CONFIG: 'config.json', TASKENV_DATA_DIR: 'data', HOME: dir },
      dir,
    );

    // Assess
    expect(settings).toMatchObject({ apiKey: 'tk_local', org: 'acme', workspace: 'default' });
  });

  it('uses ./.taskenv/api-key when no data dir is set, and ignores a missing default config', async () => {
    // Prepare
    await mkdir(join(dir, '.taskenv'));
    await writeFile(join(dir, '.taskenv', 'api-key'), 'tk_default_dir');

    // Act
    const settings = await loadSettings({}, { HOME: dir }, dir);

    // Assess
    expect(settings.apiKey).toBe('tk_default_dir');
    expect(settings.sources.apiKey).toBe('stack');
  });

  it('finds a running stack from a subdirectory through the nearest .taskenv/stack.json', async () => {
    // Prepare: a stack on a non-default port, announced by this (live) process
    await mkdir(join(dir, '.taskenv'));
    await writeFile(join(dir, '.taskenv', 'api-key'), 'tk_walked_up\n');
    await writeFile(
      join(dir, '.taskenv', 'stack.json'),
      JSON.stringify({ apiUrl: 'http://127.0.0.1:9911', pid: process.pid }),
    );
    await mkdir(join(dir, 'a', 'b'), { recursive: true });

    // Act
    const settings = await loadSettings({}, { HOME: dir }, join(dir, 'a', 'b'));

    // Assess
    expect(settings).toMatchObject({ apiUrl: 'http://127.0.0.1:9911', apiKey: 'tk_walked_up' });
    expect(settings.sources).toMatchObject({ apiUrl: 'stack', apiKey: 'stack' });
  });

  it('ignores a stack.json left behind by a stack that is no longer running', async () => {
    // Prepare: a pid that cannot exist
    await mkdir(join(dir, '.taskenv'));
    await writeFile(
      join(dir, '.taskenv', 'stack.json'),
      JSON.stringify({ apiUrl: 'http://127.0.0.1:9911', pid: 2 ** 31 - 2 }),
    );

    // Act
    const settings = await loadSettings({}, { HOME: dir }, dir);

    // Assess
    expect(settings.apiUrl).toBe('http://127.0.0.1:8787');
    expect(settings.sources.apiUrl).toBe('default');
  });

  it('lets env and flags win over the stack it found', async () => {
    // Prepare
    await mkdir(join(dir, '.taskenv'));
    await writeFile(
      join(dir, '.taskenv', 'stack.json'),
      JSON.stringify({ apiUrl: 'http://127.0.0.1:9911', pid: process.pid }),
    );

    // Act
    const fromEnv = await loadSettings({}, { HOME: dir, TASKENV_API_URL: 'http://127.0.0.1:1234' }, dir);
    const fromFlag = await loadSettings({ apiUrl: 'http://127.0.0.1:4321' }, { HOME: dir }, dir);

    // Assess
    expect(fromEnv.apiUrl).toBe('http://127.0.0.1:1234');
    expect(fromFlag.apiUrl).toBe('http://127.0.0.1:4321');
  });

  it('fails when TASKENV_CONFIG names a file that does not exist', async () => {
    // Act
    const load = loadSettings({}, { TASKENV_CONFIG: join(dir, 'missing.json'), HOME: dir }, dir);

    // Assess
    await expect(load).rejects.toThrow(/does not exist/);
  });
});
