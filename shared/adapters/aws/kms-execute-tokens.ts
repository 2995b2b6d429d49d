import {
  GenerateMacCommand,
  type KMSClient,
  KMSInvalidMacException,
  VerifyMacCommand,
} from '@aws-sdk/client-kms';
import { executeTokenBytes, executeTokenMessage } from '#domain/execute-token';
import type { ExecuteTokens } from '#ports/execute-tokens';

const MAC_ALGORITHM = 'HMAC_SHA_256';

/**
 * {@link ExecuteTokens} with a KMS HMAC key (`HMAC_256`): `GenerateMac` issues, `VerifyMac`
 * checks (KMS compares in constant time), so the key never leaves KMS and nothing stores a token.
 */
export class KmsExecuteTokens implements ExecuteTokens {
  readonly #kms: KMSClient;
  readonly #keyId: string;

  constructor({ kms, keyId }: { kms: KMSClient; keyId: string }) {
    this.#kms = kms;
    this.#keyId = keyId;
  }

  async issue(environmentId: string): Promise<string> {
    const { Mac } = await this.#kms.send(
      new GenerateMacCommand({
        KeyId: this.#keyId,
        MacAlgorithm: MAC_ALGORITHM,
        Message: Buffer.from(executeTokenMessage(environmentId), 'utf8'),
      }),
    );
    if (Mac === undefined) throw new Error('KMS GenerateMac returned no MAC');
    return Buffer.from(Mac).toString('base64url');
  }

  async verify(environmentId: string, token: string): Promise<boolean> {
    const mac = executeTokenBytes(token);
    // A malformed token is surely wrong; KMS need not be asked.
    if (mac === null) return false;
    try {
      const { MacValid } = await this.#kms.send(
        new VerifyMacCommand({
          KeyId: this.#keyId,
          MacAlgorithm: MAC_ALGORITHM,
          Message: Buffer.from(executeTokenMessage(environmentId), 'utf8'),
          Mac: mac,
        }),
      );
      return MacValid === true;
    } catch (error) {
      // KMS answers a MAC that does not verify with this exception, not with MacValid false.
      if (error instanceof KMSInvalidMacException) return false;
      throw error;
    }
  }
}
