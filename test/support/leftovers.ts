/**
 * What a local stack left on this host, read from /proc and its data dir: the processes that
 * run for an environment (by the `TASKENV_ENVIRONMENT_ID` the runtime gives every service, which
 * their children inherit), the DynamoDB Local processes serving a data dir, and the pids the
 * runtime's ledger recorded. Linux only, as the process runtime's adoption is.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { processEnvironment, processStartTime } from '#adapters/local/host-processes';
import { ledgerRecordSchema } from '#adapters/local/task-ledger';

/** A live process: its pid, its process group and the environment id it runs for. */
export interface HostProcess {
  readonly pid: number;
  readonly pgid: number;
  readonly environmentId: string;
}

const pids = async (): Promise<number[]> =>
  (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry)).map(Number);

/** Field 5 of `/proc/<pid>/stat` (the process group), or null once the process is gone. */
const processGroup = async (pid: number): Promise<number | null> => {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (text === null) return null;
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return fields[0] === 'Z' ? null : Number(fields[2]);
};

/** Every live process (zombies excluded) whose environment names one of `environmentIds`. */
export const environmentProcesses = async (environmentIds: ReadonlySet<string>): Promise<HostProcess[]> => {
  const found: HostProcess[] = [];
  for (const pid of await pids()) {
    const environmentId = (await processEnvironment(pid))?.TASKENV_ENVIRONMENT_ID;
    if (environmentId === undefined || !environmentIds.has(environmentId)) continue;
    const pgid = await processGroup(pid);
    if (pgid !== null) found.push({ pid, pgid, environmentId });
  }
  return found;
};

/** The DynamoDB Local processes (java … DynamoDBLocal.jar … -dbPath <dataDir>/dynamodb) of a data dir. */
export const dynamodbLocalsOf = async (dataDir: string): Promise<number[]> => {
  const dbPath = join(dataDir, 'dynamodb');
  const found: number[] = [];
  for (const pid of await pids()) {
    const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
    const at = args.indexOf('-dbPath');
    if (args.some((a) => a.endsWith('DynamoDBLocal.jar')) && at >= 0 && args[at + 1] === dbPath) {
      if ((await processStartTime(pid)) !== null) found.push(pid);
    }
  }
  return found;
};

/** A process group leader the runtime's ledger recorded, with the environment it ran for. */
export interface RecordedProcess {
  readonly environmentId: string;
  readonly pid: number;
  readonly startTime: string | null;
}

/** Every process the ledger in `<dataDir>/runtime/` records now. */
export const ledgerProcesses = async (dataDir: string): Promise<RecordedProcess[]> => {
  const dir = join(dataDir, 'runtime');
  const names = (await readdir(dir).catch(() => [])).filter((name) => name.endsWith('.json'));
  const recorded: RecordedProcess[] = [];
  for (const name of names) {
    const text = await readFile(join(dir, name), 'utf8').catch(() => null);
    const record = text === null ? null : ledgerRecordSchema.safeParse(JSON.parse(text));
    if (record?.success !== true) continue;
    for (const service of record.data.services) {
      const ref = service.ref as { pid?: unknown; startTime?: unknown } | null;
      if (typeof ref?.pid !== 'number') continue;
      recorded.push({
        environmentId: record.data.environmentId,
        pid: ref.pid,
        startTime: typeof ref.startTime === 'string' ? ref.startTime : null,
      });
    }
  }
  return recorded;
};

/** Whether the recorded process (that very one: same start time), or anything in its group, still runs. */
export const stillRuns = async (recorded: RecordedProcess): Promise<boolean> => {
  if (recorded.startTime !== null && (await processStartTime(recorded.pid)) === recorded.startTime)
    return true;
  for (const pid of await pids()) {
    if ((await processGroup(pid)) === recorded.pid) return true;
  }
  return false;
};
