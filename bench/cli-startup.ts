/**
 * The CLI's start-up against plain Node (`issues show 16`: ≤ 2× `node -e 0`): wall time of a
 * whole process, spawned the way a shell runs it, for `taskenv --help` and `taskenv env list`
 * (the latter against a loopback server answering one empty page, so the figure is the CLI's
 * own cost plus one local round trip, not the API's).
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { compareToFloor, type FloorComparison, median } from './stats.ts';

export interface CliStartupResult {
  readonly runs: number;
  readonly nodeMs: number;
  readonly helpMs: number;
  readonly listMs: number;
  readonly helpRatio: number;
  readonly listRatio: number;
  /** Each against `node -e 0`, paired run by run (the three ran back to back). */
  readonly help: FloorComparison;
  readonly list: FloorComparison;
}

const EMPTY_PAGE = JSON.stringify({
  environments: [],
  page: 1,
  limit: 50,
  total: 0,
  total_pages: 0,
  has_next: false,
  has_previous: false,
});

/** Spawned asynchronously: the answering server lives in this process's event loop. */
const timeRun = (args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> =>
  new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => {
      const elapsed = performance.now() - started;
      if (code === 0) resolve(elapsed);
      else reject(new Error(`node ${args.join(' ')} exited ${code}: ${stderr}`));
    });
  });

export const measureCliStartup = async (input: {
  readonly projectRoot: string;
  readonly runs: number;
  readonly floor: number;
  readonly progress: (line: string) => void;
}): Promise<CliStartupResult> => {
  const server = createServer((_, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(EMPTY_PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const bin = join(input.projectRoot, 'bin', 'taskenv.js');
  const env = { ...process.env, TASKENV_API_URL: apiUrl, TASKENV_API_KEY: 'tk_bench' };
  const samples = { node: [] as number[], help: [] as number[], list: [] as number[] };
  try {
    // Interleaved, so drift in machine load lands on all three alike; one warm-up round each.
    for (let i = 0; i <= input.runs; i++) {
      const node = await timeRun(['-e', '0'], env);
      const help = await timeRun([bin, '--help'], env);
      const list = await timeRun([bin, 'env', 'list'], env);
      if (i === 0) continue;
      samples.node.push(node);
      samples.help.push(help);
      samples.list.push(list);
    }
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  const nodeMs = median(samples.node);
  const helpMs = median(samples.help);
  const listMs = median(samples.list);
  input.progress(
    `cli: node -e 0 ${nodeMs.toFixed(0)} ms, --help ${helpMs.toFixed(0)} ms, env list ${listMs.toFixed(0)} ms`,
  );
  return {
    runs: input.runs,
    nodeMs,
    helpMs,
    listMs,
    helpRatio: helpMs / nodeMs,
    listRatio: listMs / nodeMs,
    help: compareToFloor(samples.help, samples.node, input.floor),
    list: compareToFloor(samples.list, samples.node, input.floor),
  };
};
