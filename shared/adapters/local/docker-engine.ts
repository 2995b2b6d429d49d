/** Talking to the Docker engine: its ref schema, whether it answers, and its errors read plainly. */
import Docker from 'dockerode';
import * as z from 'zod';
import { errorMessage } from './runtime-driver.ts';

/** A container; `ip` is where the task's network namespace answers (its owner's bridge address). */
export const dockerRefSchema = z.object({ containerId: z.string(), ip: z.nullable(z.string()) });
export type DockerRef = z.infer<typeof dockerRefSchema>;

/** The HTTP status of an Engine API error (dockerode puts it on `statusCode`). */
export const statusOf = (error: unknown): number | undefined =>
  error instanceof Error && 'statusCode' in error && typeof error.statusCode === 'number'
    ? error.statusCode
    : undefined;

/** The engine's own message of an API error (`{"message": …}`), without dockerode's prefix. */
export const engineMessage = (error: unknown): string => {
  if (error instanceof Error && 'json' in error) {
    const json = error.json;
    if (typeof json === 'object' && json !== null && 'message' in json && typeof json.message === 'string') {
      return json.message;
    }
  }
  return errorMessage(error);
};

/** Whether a Docker engine answers at all (for `--runtime auto`). */
export const dockerAnswers = async (docker: Docker = new Docker(), timeoutMs = 2000): Promise<boolean> => {
  const timeout = new Promise<false>((settle) => setTimeout(() => settle(false), timeoutMs).unref());
  return Promise.race([
    docker.ping().then(
      () => true,
      () => false,
    ),
    timeout,
  ]);
};

export const killQuietly = (pid: number): void => {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
};
