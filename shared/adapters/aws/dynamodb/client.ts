import {
  DynamoDBClient,
  type DynamoDBClientConfig,
  TransactionCanceledException,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';

/**
 * The document client every DynamoDB adapter uses. The endpoint is left to the SDK, which reads
 * `AWS_ENDPOINT_URL_DYNAMODB` itself: DynamoDB Local in tests and the local stack, AWS otherwise.
 */
export const createDocumentClient = (options: DynamoDBClientConfig = {}): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(new DynamoDBClient(options), {
    marshallOptions: {
      // Optional record fields are absent rather than stored as NULL.
      removeUndefinedValues: true,
      // Records are plain data; a class instance reaching the table is a bug, so let it fail.
      convertClassInstanceToMap: false,
    },
  });

/** The `Code` of each item of a cancelled transaction, in request order (`None` for an item that passed). */
export const cancellationCodes = (error: unknown): readonly string[] | null =>
  error instanceof TransactionCanceledException
    ? (error.CancellationReasons ?? []).map((reason) => reason.Code ?? 'None')
    : null;

const isConflict = (error: unknown): boolean =>
  error instanceof TransactionConflictException ||
  (cancellationCodes(error)?.includes('TransactionConflict') ?? false);

const MAX_ATTEMPTS = 10;

/**
 * Runs a write again while it collides with another transaction on the same item. The SDK does
 * not retry these, and they are routine here: every create and finalisation of an org's
 * environments goes through the org's counter item. A conflict means nothing was written, so
 * repeating the same conditional write is safe. Full jitter keeps racing writers apart.
 */
export const retryOnConflict = async <T>(write: () => Promise<T>): Promise<T> => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (!isConflict(error) || attempt >= MAX_ATTEMPTS) throw error;
      const ceilingMs = Math.min(1_000, 10 * 2 ** attempt);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * ceilingMs));
    }
  }
};

/** Every item a query matches, following `LastEvaluatedKey` through all pages. */
export const queryAll = async (
  client: DynamoDBDocumentClient,
  input: Omit<QueryCommandInput, 'ExclusiveStartKey'>,
): Promise<Record<string, unknown>[]> => {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return items;
};
