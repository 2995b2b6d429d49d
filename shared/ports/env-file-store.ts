/**
 * Per-environment variables that must not travel in container overrides (secrets and the
 * execute token): an S3 object passed as an ECS `environmentFiles` entry on AWS, a 0600 file
 * locally.
 */
export interface EnvFileStore {
  /** Writes the `.env` content and returns the reference the runtime reads it from. */
  put(environmentId: string, variables: Readonly<Record<string, string>>): Promise<string>;
  /** Deleting a missing file is fine. */
  delete(environmentId: string): Promise<void>;
}
