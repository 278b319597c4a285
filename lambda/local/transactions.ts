import { Agent, request } from 'node:http';
import type { AttributeValue, TransactWriteItem } from '@aws-sdk/client-dynamodb';

/**
 * dynalite implements DynamoDB's item, query and table operations but not `TransactWriteItems`.
 * The local control plane adds it in front of dynalite with the same contract as AWS: all
 * conditions hold and every write lands, or nothing changes and the caller gets a
 * `TransactionCanceledException` with one `CancellationReasons` entry per item.
 *
 * The items (already in DynamoDB's wire format) are sent to dynalite together as single-item
 * operations with `ReturnValues: ALL_OLD`; when any condition fails, the writes that landed are
 * undone from their old images. Every write through the local endpoint is serialized (see
 * `WriteSerializer`), so no other write interleaves with a transaction; a concurrent read may
 * see it half applied, the one difference from AWS, which does not matter to SICI's readers.
 */

type Item = Record<string, AttributeValue>;
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

class DynamoError extends Error {
  constructor(readonly type: string, message: string) {
    super(message);
  }
}

/** What dynalite answers: an item operation's old or current item, or an error's type and message. */
interface WireAnswer {
  Attributes?: Item;
  Item?: Item;
  __type?: string;
  message?: string;
  Message?: string;
}

/** A raw JSON-protocol client for dynalite's port: the wire format needs no SDK marshalling. */
export class DynaliteWire {
  private readonly agent = new Agent({ keepAlive: true });
  constructor(private readonly port: number) {}

  call(operation: string, input: object): Promise<WireAnswer> {
    const body = JSON.stringify(input);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: this.port,
          method: 'POST',
          path: '/',
          agent: this.agent,
          headers: {
            'x-amz-target': `DynamoDB_20120810.${operation}`,
            'content-type': 'application/x-amz-json-1.0',
            'content-length': Buffer.byteLength(body),
            // dynalite checks that a request is signed, not the signature.
            authorization: 'AWS4-HMAC-SHA256 Credential=local/20000101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
            'x-amz-date': '20000101T000000Z',
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const payload = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as WireAnswer;
            if (res.statusCode === 200) resolve(payload);
            else reject(new DynamoError(String(payload.__type ?? '').split('#').pop() ?? 'Error', payload.message ?? payload.Message ?? 'request failed'));
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export async function transactWriteItems(
  wire: DynaliteWire,
  items: TransactWriteItem[],
  keyOf: (tableName: string, item: Item) => Item,
): Promise<void> {
  // Items of one transaction name distinct items (DynamoDB's rule), so they can be applied together.
  const results = await Promise.allSettled(items.map((item) => applyOne(wire, item, keyOf)));
  if (results.every((result) => result.status === 'fulfilled')) return;
  for (const result of results) if (result.status === 'fulfilled') await result.value();
  throw new TransactionCanceled(results.map((result) => (result.status === 'fulfilled' ? { Code: 'None' } : cancellationReason(result.reason))));
}

function cancellationReason(error: unknown): CancellationReason {
  return error instanceof DynamoError && error.type === 'ConditionalCheckFailedException'
    ? { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' }
    : { Code: 'ValidationError', Message: (error as Error).message };
}

async function applyOne(wire: DynaliteWire, item: TransactWriteItem, keyOf: (tableName: string, item: Item) => Item): Promise<Undo> {
  const restore = (TableName: string, Key: Item, old: Item | undefined): Undo =>
    old ? () => wire.call('PutItem', { TableName, Item: old }) : () => wire.call('DeleteItem', { TableName, Key });

  if (item.Put) {
    const { Attributes } = await wire.call('PutItem', { ...item.Put, ReturnValues: 'ALL_OLD' });
    return restore(item.Put.TableName!, keyOf(item.Put.TableName!, item.Put.Item!), Attributes);
  }
  if (item.Update) {
    const { Attributes } = await wire.call('UpdateItem', { ...item.Update, ReturnValues: 'ALL_OLD' });
    return restore(item.Update.TableName!, item.Update.Key!, Attributes);
  }
  if (item.Delete) {
    const { Attributes } = await wire.call('DeleteItem', { ...item.Delete, ReturnValues: 'ALL_OLD' });
    return restore(item.Delete.TableName!, item.Delete.Key!, Attributes);
  }
  if (item.ConditionCheck) {
    // Evaluated by rewriting the item as it is under the condition, then restoring it exactly.
    const { TableName, Key, ...condition } = item.ConditionCheck;
    const { Item: existing } = await wire.call('GetItem', { TableName, Key, ConsistentRead: true });
    await wire.call('PutItem', { TableName, Item: existing ?? Key, ...condition });
    await restore(TableName!, Key!, existing)();
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
