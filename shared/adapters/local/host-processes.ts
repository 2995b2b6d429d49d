/**
 * What Linux's /proc tells about a host process: enough to know a pid is still the process we
 * started (its start time), what environment it got, and what it started. Everything answers
 * null or empty where /proc is not there.
 */
import { readdir, readFile } from 'node:fs/promises';

/** The fields after the command name of `/proc/<pid>/stat` (field 3 first), or null. */
const statFields = async (pid: number): Promise<string[] | null> => {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  // The command name (field 2) may hold spaces and parentheses: count from its closing one.
  return text === null ? null : text.slice(text.lastIndexOf(')') + 2).split(' ');
};

/**
 * Field 22 of `/proc/<pid>/stat` (start time in clock ticks since boot), or null when there is
 * no such process or it has ended (a zombie only waits to be reaped).
 */
export const processStartTime = async (pid: number): Promise<string | null> => {
  const fields = await statFields(pid);
  if (fields === null || fields[0] === 'Z') return null;
  return fields[19] ?? null;
};

/** Field 5 of `/proc/<pid>/stat` (its process group), or null when it is gone or a zombie. */
export const processGroupOf = async (pid: number): Promise<number | null> => {
  const fields = await statFields(pid);
  if (fields === null || fields[0] === 'Z') return null;
  const group = Number(fields[2]);
  return Number.isInteger(group) ? group : null;
};

/** Every pid /proc lists now. */
export const processIds = async (): Promise<number[]> =>
  (await readdir('/proc').catch(() => [])).filter((entry) => /^\d+$/.test(entry)).map(Number);

/** The environment a process was started with (`/proc/<pid>/environ`), or null. */
export const processEnvironment = async (pid: number): Promise<Record<string, string> | null> => {
  const text = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => null);
  if (text === null) return null;
  return Object.fromEntries(
    text
      .split('\0')
      .filter((entry) => entry.includes('='))
      .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
  );
};

/** The processes below `pid`, parents before their children. */
export const descendants = async (pid: number): Promise<number[]> => {
  const children = new Map<number, number[]>();
  for (const entry of await processIds()) {
    const parent = Number((await statFields(entry))?.[1]);
    if (Number.isInteger(parent)) children.set(parent, [...(children.get(parent) ?? []), entry]);
  }
  const found: number[] = [];
  const visit = (p: number) => {
    for (const child of children.get(p) ?? []) {
      found.push(child);
      visit(child);
    }
  };
  visit(pid);
  return found;
};
