/**
 * Per-environment variables that must not travel in container overrides (secrets and the
 * execute token): an S3 object passed as an ECS `environmentFiles` entry on AWS, a 0600 file
 * locally.
 */
export interface EnvFileStore {
  /** Writes the `.env` content and returns the reference the runtime reads it from. */
  put(environmentId: string, variables: Readonly<Record<string, string>>): Promise<string>;
  /**
   * The reference `put` returns for this environment. A function of the id alone, so the
   * reconciler can relaunch a recorded environment without ever seeing its secrets.
   */
  refFor(environmentId: string): string;
  /** Deleting a missing file is fine. */
  delete(environmentId: string): Promise<void>;
}
