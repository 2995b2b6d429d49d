/**
 * What a local runtime started, written to the data dir so a stack restarted after a crash
 * (`kill -9`) knows which processes or containers are its own: it adopts those still running
 * and ends the rest. One 0600 JSON file per live task; no secret values (the services'
 * environment is never written here).
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import { serviceSchema } from '#domain/service-manifest';

const bindingSchema = z.object({ containerPort: z.int(), hostPort: z.int() });

/** One task as the ledger keeps it; `ref` is the driver's handle, parsed by the driver. */
export const ledgerRecordSchema = z.object({
  taskArn: z.string(),
  environmentId: z.string(),
  group: z.string(),
  createdAt: z.string(),
  startedAt: z.nullable(z.string()),
  lastStatus: z.string(),
  /** The last event's `detail.version`: an adopted task goes on counting from it. */
  version: z.int(),
  services: z.array(
    z.object({
      name: z.string(),
      definition: serviceSchema(),
      bindings: z.array(bindingSchema),
      ref: z.unknown(),
    }),
  ),
});

export type LedgerRecord = z.infer<typeof ledgerRecordSchema>;

/** Environment ids name the files; the runtime refuses ids that could not. */
const FILE_NAME = /^[A-Za-z0-9_-]+\.json$/;

export class TaskLedger {
  readonly #dir: string;
  /** Per task, the tail of its writes, so a removal never races an update. */
  readonly #writes = new Map<string, Promise<void>>();

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Writes (replaces) the record; atomic, so a crash leaves the old or the new one. */
  save(record: LedgerRecord): Promise<void> {
    return this.#queue(record.environmentId, async () => {
      await mkdir(this.#dir, { recursive: true, mode: 0o700 });
      const file = this.#file(record.environmentId);
      await writeFile(`${file}.tmp`, JSON.stringify(record), { mode: 0o600 });
      await rename(`${file}.tmp`, file);
    });
  }

  remove(environmentId: string): Promise<void> {
    return this.#queue(environmentId, () => rm(this.#file(environmentId), { force: true }));
  }

  /** Every readable record; a file that does not parse is dropped (it names nothing we can trust). */
  async list(): Promise<LedgerRecord[]> {
    const names = await readdir(this.#dir).catch(() => []);
    const records: LedgerRecord[] = [];
    for (const name of names.filter((n) => FILE_NAME.test(n))) {
      const text = await readFile(join(this.#dir, name), 'utf8').catch(() => null);
      const parsed = text === null ? null : ledgerRecordSchema.safeParse(safeJson(text));
      if (parsed?.success === true) records.push(parsed.data);
      else await rm(join(this.#dir, name), { force: true });
    }
    return records;
  }

  /** Resolves once every queued write has landed. */
  async flush(): Promise<void> {
    await Promise.all(this.#writes.values());
  }

  #file(environmentId: string): string {
    return join(this.#dir, `${environmentId}.json`);
  }

  #queue(environmentId: string, write: () => Promise<void>): Promise<void> {
    const next = (this.#writes.get(environmentId) ?? Promise.resolve()).then(write, write);
    const settled = next.catch(() => undefined);
    this.#writes.set(environmentId, settled);
    void settled.then(() => {
      if (this.#writes.get(environmentId) === settled) this.#writes.delete(environmentId);
    });
    return next;
  }
}

const safeJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
};
