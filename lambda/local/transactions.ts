import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';

/**
 * dynalite implements DynamoDB's item, query and table operations but not `TransactWriteItems`.
 * The local control plane adds it in front of dynalite with the same contract as AWS: all
 * conditions hold and every write lands, or nothing changes and the caller gets a
 * `TransactionCanceledException` with one `CancellationReasons` entry per item.
 *
 * Writes are applied together with `ReturnValues: ALL_OLD`, and the ones that landed are undone
 * when any condition fails. Every write through the local endpoint is serialized (see `WriteSerializer`),
 * so no other write interleaves with a transaction; a concurrent read may see it half applied,
 * which is the one difference from AWS and does not matter to SICI's readers.
 */

type Key = Record<string, AttributeValue>;
type Undo = () => Promise<unknown>;

export interface CancellationReason {
  Code: 'None' | 'ConditionalCheckFailed' | 'ValidationError';
  Message?: string;
}

export class TransactionCanceled extends Error {
  constructor(readonly reasons: CancellationReason[]) {
    super(`Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`);
  }
}

export async function transactWriteItems(
  client: DynamoDBClient,
  items: TransactWriteItem[],
  keyOf: (tableName: string, item: Record<string, AttributeValue>) => Key,
): Promise<void> {
  // Items of one transaction name distinct items (DynamoDB's rule), so they can be applied together.
  const results = await Promise.allSettled(items.map((item) => applyOne(client, item, keyOf)));
  if (results.every((result) => result.status === 'fulfilled')) return;
  for (const result of results) if (result.status === 'fulfilled') await result.value();
  throw new TransactionCanceled(results.map((result) => (result.status === 'fulfilled' ? { Code: 'None' } : cancellationReason(result.reason))));
}

function cancellationReason(error: unknown): CancellationReason {
  return error instanceof ConditionalCheckFailedException
    ? { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' }
    : { Code: 'ValidationError', Message: (error as Error).message };
}

async function applyOne(
  client: DynamoDBClient,
  item: TransactWriteItem,
  keyOf: (tableName: string, item: Record<string, AttributeValue>) => Key,
): Promise<Undo> {
  const restore = (tableName: string, key: Key, old: Record<string, AttributeValue> | undefined): Undo =>
    old
      ? () => client.send(new PutItemCommand({ TableName: tableName, Item: old }))
      : () => client.send(new DeleteItemCommand({ TableName: tableName, Key: key }));

  if (item.Put) {
    const { TableName, Item } = item.Put;
    const result = await client.send(new PutItemCommand({ ...item.Put, ReturnValues: 'ALL_OLD' }));
    return restore(TableName!, keyOf(TableName!, Item!), result.Attributes);
  }
  if (item.Update) {
    const { TableName, Key } = item.Update;
    const result = await client.send(new UpdateItemCommand({ ...item.Update, ReturnValues: 'ALL_OLD' }));
    return restore(TableName!, Key!, result.Attributes);
  }
  if (item.Delete) {
    const { TableName, Key } = item.Delete;
    const result = await client.send(new DeleteItemCommand({ ...item.Delete, ReturnValues: 'ALL_OLD' }));
    return restore(TableName!, Key!, result.Attributes);
  }
  if (item.ConditionCheck) {
    // Evaluated by rewriting the item as it is under the condition, then restoring it exactly.
    const { TableName, Key, ...condition } = item.ConditionCheck;
    const existing = await client.send(new GetItemCommand({ TableName, Key, ConsistentRead: true }));
    await client.send(new PutItemCommand({ TableName, Item: existing.Item ?? Key, ...condition }));
    await restore(TableName!, Key!, existing.Item)();
    return async () => undefined;
  }
  throw new Error('A TransactWriteItem needs one of Put, Update, Delete or ConditionCheck');
}

/** Runs writes one at a time, in arrival order. */
export class WriteSerializer {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(write: () => Promise<T>): Promise<T> {
    const result = this.tail.then(write, write);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
