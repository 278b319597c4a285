import { QueryCommand, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { AUDIT_MAX_RANGE_DAYS, type AuditRecordDocument, type ListAuditQuery } from '../../lib/contract/fleet';
import { AUDIT_TABLE_KEYS } from '../../lib/contract/tables';
import { badRequest } from './problems';
import { equalityFilters, type Item, type Page, type Tables } from './tables';

/**
 * Reading the audit trail (the platform team's GET /audit), newest first, by Queries only, on the
 * index that fits the filters: an entity is the table's partition key; an actor, the byActor
 * index; anything else, the byDay index, one day's partition after the other from the range's
 * last day back to its first. Within a partition the sort key `<time>#<requestId>` bounds the
 * range; the other filters are a FilterExpression.
 */

const [BY_ACTOR, BY_DAY] = AUDIT_TABLE_KEYS.indexes;
const DAY_MS = 86_400_000;
export const AUDIT_DEFAULT_RANGE_DAYS = 7;
/** Queries one page may take (a range of 92 days is 93 day partitions, most of them empty for a filter). */
const MAX_ROUNDS_PER_PAGE = 120;

export interface AuditRange {
  readonly from: string;
  readonly to: string;
}

/** The range asked for: `to` defaults to now, `from` to 7 days before `to`; at most 92 days, `from` not after `to`. */
export function auditRange(query: Pick<ListAuditQuery, 'from' | 'to'>, now: Date): AuditRange {
  const to = query.to ? new Date(query.to) : now;
  const from = query.from ? new Date(query.from) : new Date(to.getTime() - AUDIT_DEFAULT_RANGE_DAYS * DAY_MS);
  if (from.getTime() > to.getTime()) {
    throw badRequest('from is after to.', [{ field: 'query.from', message: `must not be after to (${to.toISOString()})` }]);
  }
  if (to.getTime() - from.getTime() > AUDIT_MAX_RANGE_DAYS * DAY_MS) {
    throw badRequest(`The range is longer than ${AUDIT_MAX_RANGE_DAYS} days.`, [
      { field: 'query.from', message: `must be at most ${AUDIT_MAX_RANGE_DAYS} days before to (${to.toISOString()})` },
    ]);
  }
  return { from: from.toISOString(), to: to.toISOString() };
}

/** The UTC days of a range, newest first (the byDay index's partitions). */
export function daysOf(range: AuditRange): string[] {
  const days: string[] = [];
  const first = range.from.slice(0, 10);
  for (let day = new Date(`${range.to.slice(0, 10)}T00:00:00.000Z`); day.toISOString().slice(0, 10) >= first; day = new Date(day.getTime() - DAY_MS)) {
    days.push(day.toISOString().slice(0, 10));
  }
  return days;
}

/** Where a listing reads: one partition (entity, actor), or the days of the range in turn. */
interface Plan {
  readonly indexName?: string;
  readonly partitionKey: string;
  readonly partitions: readonly string[];
}

function planOf(query: ListAuditQuery, range: AuditRange): Plan {
  if (query.entity !== undefined) return { partitionKey: AUDIT_TABLE_KEYS.partitionKey, partitions: [query.entity] };
  if (query.actor !== undefined) return { indexName: BY_ACTOR.name, partitionKey: BY_ACTOR.partitionKey, partitions: [query.actor] };
  return { indexName: BY_DAY.name, partitionKey: BY_DAY.partitionKey, partitions: daysOf(range) };
}

const AUDIT_KEY_ATTRIBUTES = new Set<string>([AUDIT_TABLE_KEYS.partitionKey, AUDIT_TABLE_KEYS.sortKey, BY_ACTOR.partitionKey, BY_DAY.partitionKey]);

/** Where the next page starts: a partition of the plan, and the position in it (none: its start). */
interface Position {
  readonly partition: string;
  readonly key?: Record<string, string>;
}

const invalidNextToken = () => badRequest('nextToken is not a token this query returned.', [{ field: 'query.nextToken', message: 'not a valid token for this query' }]);

function encodeToken(position: Position): string {
  return Buffer.from(JSON.stringify({ p: position.partition, ...(position.key ? { k: position.key } : {}) }), 'utf8').toString('base64url');
}

/** A token is accepted only for a partition of this very plan, with a key in that partition. */
function decodeToken(token: string, plan: Plan): Position {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalidNextToken();
  }
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) throw invalidNextToken();
  const { p, k } = decoded as { p?: unknown; k?: unknown };
  if (typeof p !== 'string' || !plan.partitions.includes(p)) throw invalidNextToken();
  if (k === undefined) return { partition: p };
  if (typeof k !== 'object' || k === null || Array.isArray(k)) throw invalidNextToken();
  const entries = Object.entries(k);
  const wellFormed =
    entries.length >= 2 &&
    entries.length <= 4 &&
    entries.every(([name, value]) => AUDIT_KEY_ATTRIBUTES.has(name) && typeof value === 'string' && value.length > 0 && value.length <= 4096);
  if (!wellFormed || (k as Record<string, string>)[plan.partitionKey] !== p) throw invalidNextToken();
  return { partition: p, key: k as Record<string, string> };
}

const DOCUMENT_FIELDS = ['time', 'actor', 'teamId', 'action', 'entity', 'outcome', 'status', 'sourceIp', 'requestId', 'metadata'] as const;

function toDocument(item: Item): AuditRecordDocument {
  return Object.fromEntries(DOCUMENT_FIELDS.filter((field) => item[field] !== undefined).map((field) => [field, item[field]])) as AuditRecordDocument;
}

/** A page of the audit trail, newest first; the token carries the partition and the position in it. */
export async function listAuditRecords(tables: Tables, query: ListAuditQuery, now: Date): Promise<Page<AuditRecordDocument>> {
  const range = auditRange(query, now);
  const plan = planOf(query, range);
  // The actor is the key of the byActor index, when that is the one read.
  const equal = equalityFilters(query, ['actor', 'teamId', 'action', 'outcome'].filter((field) => field !== 'actor' || plan.partitionKey !== BY_ACTOR.partitionKey));
  const names: Record<string, string> = { '#p': plan.partitionKey, '#sk': AUDIT_TABLE_KEYS.sortKey, ...equal.names };
  const values: Record<string, unknown> = { ':from': range.from, ':to': `${range.to}~`, ...equal.values };
  const filters = equal.clauses;
  let position: Position | undefined = query.nextToken ? decodeToken(query.nextToken, plan) : { partition: plan.partitions[0] };
  const items: AuditRecordDocument[] = [];
  for (let round = 0; position && round < MAX_ROUNDS_PER_PAGE && items.length < query.limit; round++) {
    const result: QueryCommandOutput = await tables.doc.send(
      new QueryCommand({
        TableName: tables.auditTable,
        ...(plan.indexName ? { IndexName: plan.indexName } : {}),
        // ISO times of one length sort as text; `~` sorts after `#<requestId>`, so records at `to` are in.
        KeyConditionExpression: '#p = :p AND #sk BETWEEN :from AND :to',
        ...(filters.length ? { FilterExpression: filters.join(' AND ') } : {}),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ...values, ':p': position.partition },
        ScanIndexForward: false,
        Limit: query.limit - items.length,
        ExclusiveStartKey: position.key,
      }),
    ).catch((error: Error) => {
      // DynamoDB refuses a start key that is not a position of this index: the token was forged.
      if (error.name === 'ValidationException' && query.nextToken) throw invalidNextToken();
      throw error;
    });
    items.push(...(result.Items ?? []).map(toDocument));
    if (result.LastEvaluatedKey) {
      position = { partition: position.partition, key: result.LastEvaluatedKey as Record<string, string> };
    } else {
      const next: string | undefined = plan.partitions[plan.partitions.indexOf(position.partition) + 1];
      position = next === undefined ? undefined : { partition: next };
    }
  }
  return { items, ...(position ? { nextToken: encodeToken(position) } : {}) };
}
