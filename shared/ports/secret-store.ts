import type { SecretMetadata } from '#domain/secret';

/** Secret metadata (never the value). */
export interface SecretMetadataStore {
  put(metadata: SecretMetadata): Promise<void>;
  get(org: string, workspace: string, id: string): Promise<SecretMetadata | null>;
  list(org: string, workspace: string): Promise<SecretMetadata[]>;
  /** @returns whether it existed. */
  delete(org: string, workspace: string, id: string): Promise<boolean>;
}

/** Secret values: Secrets Manager on AWS, a 0600 file locally. */
export interface SecretValueStore {
  /** Stores the value; returns where it lives (`valueRef`). */
  put(org: string, workspace: string, id: string, value: string): Promise<string>;
  get(valueRef: string): Promise<string>;
  delete(valueRef: string): Promise<void>;
}
