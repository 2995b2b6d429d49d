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

/**
 * Lists env files, so the reconciler can remove those of environments that were never recorded
 * (a create that died between writing the file and recording the environment). Only the local
 * store offers it; on AWS the bucket's lifecycle rule removes every env file after a day.
 */
export interface EnvFileListing {
  /** Ids of the environments whose env file was last written before `before`. */
  writtenBefore(before: Date): Promise<string[]>;
}
