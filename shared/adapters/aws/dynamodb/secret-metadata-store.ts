import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SecretMetadata } from '#domain/secret';
import type { SecretMetadataStore } from '#ports/secret-store';
import * as z from '#shared/zod';
import { queryAll } from './client.ts';
import { SECRET_PREFIX, secretKey, workspaceSecretsPk } from './keys.ts';

/**
 * {@link SecretMetadataStore} on the one DynamoDB table. Every read is keyed by org and
 * workspace, so a secret is never visible outside its workspace; the value is never here.
 */
export class DynamoSecretMetadataStore implements SecretMetadataStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor({ client, tableName }: { client: DynamoDBDocumentClient; tableName: string }) {
    this.#client = client;
    this.#tableName = tableName;
  }

  async put(metadata: SecretMetadata): Promise<void> {
    await this.#client.send(
      new PutCommand({
        TableName: this.#tableName,
        Item: {
          ...secretKey(metadata.org, metadata.workspace, metadata.id),
          org: metadata.org,
          workspace: metadata.workspace,
          id: metadata.id,
          envVar: metadata.envVar,
          preview: metadata.preview,
          valueRef: metadata.valueRef,
          createdAt: metadata.createdAt,
          updatedAt: metadata.updatedAt,
        },
      }),
    );
  }

  async get(org: string, workspace: string, id: string): Promise<SecretMetadata | null> {
    const { Item } = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: secretKey(org, workspace, id),
        ConsistentRead: true,
      }),
    );
    return Item === undefined ? null : metadataSchema.parse(Item);
  }

  async list(org: string, workspace: string): Promise<SecretMetadata[]> {
    const items = await queryAll(this.#client, {
      TableName: this.#tableName,
      // The workspace partition may hold other item types one day; the prefix keeps to secrets.
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': workspaceSecretsPk(org, workspace), ':prefix': SECRET_PREFIX },
      ConsistentRead: true,
    });
    return items.map((item) => metadataSchema.parse(item));
  }

  async delete(org: string, workspace: string, id: string): Promise<boolean> {
    const { Attributes } = await this.#client.send(
      new DeleteCommand({
        TableName: this.#tableName,
        Key: secretKey(org, workspace, id),
        ReturnValues: 'ALL_OLD',
      }),
    );
    return Attributes !== undefined;
  }
}

const metadataSchema = z.object({
  org: z.string(),
  workspace: z.string(),
  id: z.string(),
  envVar: z.string(),
  preview: z.string(),
  valueRef: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
