import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DYNAMODB_LOCAL_HEAP, startDynamoDbLocal } from '#adapters/local/dynamodb-local';

/** The environment of the java process serving `port` (found by its command line). */
const javaEnvironOf = async (port: number): Promise<string[]> => {
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const args = cmdline.split('\0');
    if (
      args.some((a) => a.includes('DynamoDBLocal.jar')) &&
      args[args.indexOf('-port') + 1] === String(port)
    ) {
      return (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0');
    }
  }
  throw new Error(`no DynamoDB Local on port ${port}`);
};

describe('DynamoDB Local', () => {
  it('runs its JVM under a heap cap and leaves this process environment as it was', async () => {
    const before = process.env.JDK_JAVA_OPTIONS;
    const local = await startDynamoDbLocal();
    try {
      expect(await javaEnvironOf(local.port)).toContain(`JDK_JAVA_OPTIONS=${DYNAMODB_LOCAL_HEAP}`);
      expect(process.env.JDK_JAVA_OPTIONS).toBe(before);
    } finally {
      await local.stop();
    }
  }, 60_000);
});
