import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, TransactWriteCommand, UpdateCommand, type QueryCommandInput, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { badRequest } from './problems';
import { STATE_TABLE_KEYS } from '../../lib/contract/tables';

/**
 * The DynamoDB tables SICI's handlers work on, through one document client, and what every entity
 * store shares: transactions, key-condition paging, and the status condition of a transition.
 */
export interface Tables {
  readonly doc: DynamoDBDocumentClient;
  readonly stateTable: string;
  readonly auditTable: string;
}

export function connectTables(stateTable: string, auditTable: string, config: DynamoDBClientConfig = {}): Tables {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient(config), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return { doc, stateTable, auditTable };
}

export type Item = Record<string, unknown>;
export type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];

export const KEY_ATTRIBUTES = new Set<string>([
  STATE_TABLE_KEYS.partitionKey,
  STATE_TABLE_KEYS.sortKey,
  ...STATE_TABLE_KEYS.indexes.flatMap((index) => [index.partitionKey, index.sortKey]),
  STATE_TABLE_KEYS.ttlAttribute,
  'itemType',
  'version',
]);

/**
 * The condition that an item's `#status` is one of `statuses` (a transition's sources, from
 * ./transitions.ts), with its values; the expression must map `#status` to `status`.
 */
export function statusIn(statuses: readonly string[]): { expression: string; values: Record<string, string> } {
  const values = Object.fromEntries(statuses.map((status, i) => [`:from${i}`, status]));
  return { expression: `#status IN (${Object.keys(values).join(', ')})`, values };
}

/** The `#field = :field` clause of each of `fields` that `given` has a value for, with its names and values: a FilterExpression's equality filters. */
export function equalityFilters(given: Readonly<Record<string, unknown>>, fields: readonly string[]): { clauses: string[]; names: Record<string, string>; values: Record<string, unknown> } {
  const present = fields.filter((field) => given[field] !== undefined);
  return {
    clauses: present.map((field) => `#${field} = :${field}`),
    names: Object.fromEntries(present.map((field) => [`#${field}`, field])),
    values: Object.fromEntries(present.map((field) => [`:${field}`, given[field]])),
  };
}

/** A conditional update on its own: false when its condition does not hold (nothing was written). */
export async function updateIf(tables: Tables, input: Omit<UpdateCommandInput, 'TableName'>): Promise<boolean> {
  try {
    await tables.doc.send(new UpdateCommand({ ...input, TableName: tables.stateTable }));
    return true;
  } catch (error) {
    if ((error as Error)?.name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}

/** Every item of a key-condition Query, over all its pages (for partitions known to be small). */
export async function queryAll(tables: Tables, input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await tables.doc.send(new QueryCommand({ ...input, TableName: tables.stateTable, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** An item as the API shows it: without keys, index attributes and bookkeeping. */
export function withoutKeys<T>(item: Item): T {
  return Object.fromEntries(Object.entries(item).filter(([name]) => !KEY_ATTRIBUTES.has(name))) as T;
}

/** Thrown by `transact` when DynamoDB cancels a transaction; `failedIndexes` name the items whose condition failed. */
export class TransactionConflict extends Error {
  constructor(readonly failedIndexes: number[]) {
    super(`Transaction cancelled: condition failed on item(s) ${failedIndexes.join(', ')}`);
  }
}

export async function transact(tables: Tables, items: TransactItem[]): Promise<void> {
  try {
    await tables.doc.send(new TransactWriteCommand({ TransactItems: items }));
  } catch (error) {
    const reasons = (error as { name?: string; CancellationReasons?: { Code?: string }[] }).CancellationReasons;
    if ((error as Error).name === 'TransactionCanceledException' && reasons) {
      const failed = reasons.flatMap((reason, index) => (reason.Code === 'ConditionalCheckFailed' ? [index] : []));
      if (failed.length) throw new TransactionConflict(failed);
    }
    throw error;
  }
}

// ---- Paging ----------------------------------------------------------------------------------

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

export interface PageRequest {
  limit: number;
  nextToken?: string;
}

const MAX_ROUNDS_PER_PAGE = 10;

/**
 * One page of a key-condition Query (never a Scan), with an opaque `nextToken`. A token is only
 * accepted for the same partition it came from, so a caller cannot page into another team's keys.
 * With a filter, several rounds may be needed to fill a page; a page may be shorter than `limit`
 * and still have a `nextToken`.
 */
export async function queryPage<T>(
  tables: Tables,
  input: Omit<QueryCommandInput, 'TableName' | 'Limit' | 'ExclusiveStartKey'> & { partition: { name: string; value: string } },
  page: PageRequest,
  toItem: (item: Item) => T,
): Promise<Page<T>> {
  const { partition, ...query } = input;
  let startKey = page.nextToken ? decodeNextToken(page.nextToken, partition) : undefined;
  const items: T[] = [];
  for (let round = 0; round < MAX_ROUNDS_PER_PAGE && items.length < page.limit; round++) {
    const result = await tables.doc
      .send(new QueryCommand({ ...query, TableName: tables.stateTable, Limit: page.limit - items.length, ExclusiveStartKey: startKey }))
      .catch((error: Error) => {
        // DynamoDB refuses a start key that is not a position of this index: the token was forged.
        if (error.name === 'ValidationException' && page.nextToken) throw invalidNextToken();
        throw error;
      });
    items.push(...(result.Items ?? []).map(toItem));
    startKey = result.LastEvaluatedKey;
    if (!startKey) break;
  }
  return { items, ...(startKey ? { nextToken: encodeNextToken(startKey) } : {}) };
}

const invalidNextToken = () =>
  badRequest('nextToken is not a token this query returned.', [{ field: 'query.nextToken', message: 'not a valid token for this query' }]);

function encodeNextToken(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

function decodeNextToken(token: string, partition: { name: string; value: string }): Record<string, string> {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalidNextToken();
  }
  if (typeof key !== 'object' || key === null || Array.isArray(key)) throw invalidNextToken();
  const entries = Object.entries(key);
  const wellFormed =
    entries.length >= 2 &&
    entries.length <= 4 &&
    entries.every(([name, value]) => KEY_ATTRIBUTES.has(name) && typeof value === 'string' && value.length > 0 && value.length <= 1024);
  if (!wellFormed || (key as Record<string, string>)[partition.name] !== partition.value) throw invalidNextToken();
  return key as Record<string, string>;
}
