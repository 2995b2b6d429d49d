/**
 * The execute token of an environment: HMAC(server key, environment id). AWS: a KMS HMAC key
 * (`GenerateMac` / `VerifyMac`); local: a 32-byte key file in the data dir. Nothing stores a
 * token: it is derived again for an idempotent replay and checked in constant time.
 */
export interface ExecuteTokens {
  /** The token of `environmentId` (base64url); the same every time for the same id. */
  issue(environmentId: string): Promise<string>;
  /** True when `token` is the one {@link issue} gives `environmentId`; constant time; false when malformed. */
  verify(environmentId: string, token: string): Promise<boolean>;
}
