/** What taskenv keeps about a secret besides its value (which lives only in the secret store). */
export interface SecretMetadata {
  readonly org: string;
  readonly workspace: string;
  readonly id: string;
  readonly envVar: string;
  /** A hint such as `sk-…9f2c`; never enough of the value to matter. */
  readonly preview: string;
  /** Where the value lives (a Secrets Manager ARN on AWS, a key of the local store). */
  readonly valueRef: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** `env_var` default of `API.md`: the id upper-cased with `-` → `_`. */
export const defaultEnvVar = (id: string): string => id.toUpperCase().replaceAll('-', '_');

/** A preview that shows at most 4 trailing characters, and none of a short value. */
export const previewOf = (value: string): string => (value.length < 12 ? '****' : `****${value.slice(-4)}`);
