import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type {
  ClusterOutcome,
  ClusterOutcomeStatus,
  FleetOperation,
  FleetOperationAccepted,
  FleetOperationKind,
  FleetOperationStatus,
  FleetSelector,
} from '../../lib/contract/fleet';
import { STATE_TABLE_KEYS } from '../../lib/contract/tables';
import type { ClusterRecord } from './cluster-store';
import { queryAll, queryPage, updateIf, withoutKeys, type Item, type PageRequest, type Tables, type TransactItem } from './tables';

/**
 * Fleet operations (shutdown, resume, drift check) in the state table: `FLEETOP#<id>` / `OPERATION`
 * holds the operation, its counters and the clusters it matched (at most
 * MAX_CLUSTERS_PER_OPERATION), and `FLEETOP#<id>` / `CLUSTER#<clusterId>`
 * the outcome of each cluster once its worker reached it. A matched cluster without an outcome
 * item is PENDING.
 */

/**
 * The most clusters one operation can match: its item lists them (about 90 bytes each) within
 * DynamoDB's 400 KB item limit. A larger selection is refused (422): select by environment or team.
 */
export const MAX_CLUSTERS_PER_OPERATION = 4000;

const [, IN_FLIGHT_INDEX] = STATE_TABLE_KEYS.indexes;

/** The partition of the in-flight index (gsi2) listing RUNNING operations, for the reconciler; the finish write removes them. */
export const FLEET_OPERATIONS_RUNNING = 'FLEETOP_RUNNING';

const partition = (operationId: string) => `FLEETOP#${operationId}`;
export const fleetOperationKey = (operationId: string) => ({ pk: partition(operationId), sk: 'OPERATION' });
const outcomeKey = (operationId: string, clusterId: string) => ({ pk: partition(operationId), sk: `CLUSTER#${clusterId}` });

/** Outcome statuses that end a cluster's part of an operation, counted as done. */
const DONE: ReadonlySet<ClusterOutcomeStatus> = new Set(['SUSPENDED', 'RESUMED', 'CHECKED']);

/** The operation item as kept: the document without its outcomes page, plus the matched clusters. */
export type FleetOperationRecord = Omit<FleetOperation, 'outcomes' | 'nextToken'> & {
  /** The matched clusters, with what a worker needs to act without reading each again. */
  matched: Pick<ClusterRecord, 'clusterId' | 'teamId' | 'environment'>[];
  /** Clusters whose endpoint is blocked (SHUTDOWN), counted to set allBlockedAt once all are. */
  blocked?: number;
};

export interface NewFleetOperation {
  readonly operationId: string;
  readonly kind: FleetOperationKind;
  readonly selector: FleetSelector;
  readonly reason?: string;
  readonly requestedBy: string;
  readonly clusters: readonly Pick<ClusterRecord, 'clusterId' | 'teamId' | 'environment'>[];
  readonly time: string;
}

export function newFleetOperation(operation: NewFleetOperation): FleetOperationRecord {
  return {
    operationId: operation.operationId,
    kind: operation.kind,
    status: 'RUNNING',
    ...(operation.reason ? { reason: operation.reason } : {}),
    selector: operation.selector,
    requestedBy: operation.requestedBy,
    createdAt: operation.time,
    updatedAt: operation.time,
    counts: { matched: operation.clusters.length, pending: operation.clusters.length, done: 0, failed: 0 },
    matched: operation.clusters.map(({ clusterId, teamId, environment }) => ({ clusterId, teamId, environment })),
    blocked: 0,
  };
}

/** The operation item, as one item of the transaction that records its request (with the audit record). */
export function putFleetOperationItem(tables: Tables, operation: FleetOperationRecord): TransactItem {
  return {
    Put: {
      TableName: tables.stateTable,
      Item: {
        ...fleetOperationKey(operation.operationId),
        itemType: 'fleetOperation',
        [IN_FLIGHT_INDEX.partitionKey]: FLEET_OPERATIONS_RUNNING,
        [IN_FLIGHT_INDEX.sortKey]: `${operation.createdAt}#${operation.operationId}`,
        ...operation,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

export async function getFleetOperationRecord(tables: Tables, operationId: string): Promise<FleetOperationRecord | undefined> {
  const { Item } = await tables.doc.send(new GetCommand({ TableName: tables.stateTable, Key: fleetOperationKey(operationId), ConsistentRead: true }));
  return Item ? withoutKeys<FleetOperationRecord>(Item) : undefined;
}

/** The answer of a route that started an operation (202), with where to follow it. */
export function operationAccepted(operation: FleetOperationRecord): FleetOperationAccepted {
  const { matched: _matched, blocked: _blocked, ...document } = operation;
  return { ...document, links: { operation: `/fleet/operations/${operation.operationId}` } };
}

/** The operation with a page of its outcomes; matched clusters not yet reached are PENDING. */
export async function getFleetOperation(tables: Tables, operationId: string, page: PageRequest): Promise<FleetOperation | undefined> {
  const operation = await getFleetOperationRecord(tables, operationId);
  if (!operation) return undefined;
  const outcomes = await queryPage(
    tables,
    {
      partition: { name: 'pk', value: partition(operationId) },
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': partition(operationId), ':prefix': 'CLUSTER#' },
      ConsistentRead: true,
    },
    page,
    (item: Item) => withoutKeys<ClusterOutcome>(item),
  );
  const { matched, blocked: _blocked, ...document } = operation;
  // The first page also lists, after the outcomes recorded, the clusters not reached yet.
  const reached = new Set(outcomes.items.map((outcome) => outcome.clusterId));
  const pending =
    page.nextToken || outcomes.nextToken || operation.counts.pending === 0
      ? []
      : matched
          .filter((cluster) => !reached.has(cluster.clusterId))
          .slice(0, Math.max(0, page.limit - outcomes.items.length))
          .map((cluster): ClusterOutcome => ({ ...cluster, status: 'PENDING', updatedAt: operation.createdAt }));
  return { ...document, outcomes: [...outcomes.items, ...pending], ...(outcomes.nextToken ? { nextToken: outcomes.nextToken } : {}) };
}

/**
 * Records a cluster's outcome and moves the operation's counters with it: a cluster leaves
 * `pending` once (on its first final outcome, SUSPENDED, RESUMED, CHECKED or FAILED); BLOCKED is
 * counted towards `allBlockedAt`. When the last cluster is done the operation ends SUCCEEDED, or
 * PARTIAL (some failed) or FAILED (all failed).
 */
export async function recordOutcome(
  tables: Tables,
  operationId: string,
  cluster: Pick<ClusterRecord, 'clusterId' | 'teamId' | 'environment'>,
  status: ClusterOutcomeStatus,
  time: string,
  detail?: string,
): Promise<void> {
  const final = DONE.has(status) || status === 'FAILED';
  const previous = await tables.doc.send(
    new PutCommand({
      TableName: tables.stateTable,
      Item: {
        ...outcomeKey(operationId, cluster.clusterId),
        itemType: 'fleetOutcome',
        clusterId: cluster.clusterId,
        teamId: cluster.teamId,
        environment: cluster.environment,
        status,
        ...(detail ? { detail } : {}),
        updatedAt: time,
      },
      ReturnValues: 'ALL_OLD',
    }),
  );
  const before = previous.Attributes?.status as ClusterOutcomeStatus | undefined;
  const wasFinal = before !== undefined && (DONE.has(before) || before === 'FAILED');
  if (status === 'BLOCKED' && before !== 'BLOCKED') {
    await updateIf(tables, {
      Key: fleetOperationKey(operationId),
      UpdateExpression: 'ADD blocked :one SET updatedAt = :now',
      ExpressionAttributeValues: { ':one': 1, ':now': time },
    });
    await updateIf(tables, {
      Key: fleetOperationKey(operationId),
      UpdateExpression: 'SET allBlockedAt = :now',
      ConditionExpression: 'attribute_not_exists(allBlockedAt) AND blocked >= counts.matched',
      ExpressionAttributeValues: { ':now': time },
    });
  }
  if (!final || wasFinal) return;
  const failed = status === 'FAILED' ? 1 : 0;
  await updateIf(tables, {
    Key: fleetOperationKey(operationId),
    UpdateExpression: 'ADD counts.pending :minusOne, counts.done :done, counts.failed :failed SET updatedAt = :now',
    ExpressionAttributeValues: { ':minusOne': -1, ':done': 1 - failed, ':failed': failed, ':now': time },
  });
  await finishIfDone(tables, operationId, time);
}

/** Ends the operation once no cluster is pending (a conditional write: only one worker ends it). */
async function finishIfDone(tables: Tables, operationId: string, time: string): Promise<void> {
  const operation = await getFleetOperationRecord(tables, operationId);
  if (!operation || operation.status !== 'RUNNING' || operation.counts.pending > 0) return;
  const status: FleetOperationStatus = operation.counts.failed === 0 ? 'SUCCEEDED' : operation.counts.done === 0 ? 'FAILED' : 'PARTIAL';
  await updateIf(tables, {
    Key: fleetOperationKey(operationId),
    UpdateExpression: 'SET #status = :status, completedAt = :now, updatedAt = :now REMOVE #inFlight, #inFlightSort',
    ConditionExpression: '#status = :running AND counts.pending <= :zero',
    ExpressionAttributeNames: { '#status': 'status', '#inFlight': IN_FLIGHT_INDEX.partitionKey, '#inFlightSort': IN_FLIGHT_INDEX.sortKey },
    ExpressionAttributeValues: { ':status': status, ':now': time, ':running': 'RUNNING', ':zero': 0 },
  });
}

/** The clusters of an operation whose part is over (a final outcome): a restarted worker leaves them alone. */
export async function finishedClusters(tables: Tables, operationId: string): Promise<Set<string>> {
  const items = await queryAll(tables, {
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': partition(operationId), ':prefix': 'CLUSTER#' },
    ConsistentRead: true,
  });
  const final = (status: ClusterOutcomeStatus) => DONE.has(status) || status === 'FAILED';
  return new Set(items.filter((item) => final(item.status as ClusterOutcomeStatus)).map((item) => item.clusterId as string));
}

/** Marks a RUNNING operation's worker alive while it waits for clusters' jobs (no outcome moves `updatedAt` then). */
export async function touchFleetOperation(tables: Tables, operationId: string, time: string): Promise<void> {
  await updateIf(tables, {
    Key: fleetOperationKey(operationId),
    UpdateExpression: 'SET updatedAt = :now',
    ConditionExpression: '#status = :running',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':now': time, ':running': 'RUNNING' },
  });
}

/** The RUNNING operations not updated since `before` (their worker never started, or died), oldest first; running operations are few. */
export async function fleetOperationsStalledSince(tables: Tables, before: Date): Promise<FleetOperationRecord[]> {
  const items = await queryAll(tables, {
    IndexName: IN_FLIGHT_INDEX.name,
    KeyConditionExpression: '#pk = :partition',
    FilterExpression: 'updatedAt < :before',
    ExpressionAttributeNames: { '#pk': IN_FLIGHT_INDEX.partitionKey },
    ExpressionAttributeValues: { ':partition': FLEET_OPERATIONS_RUNNING, ':before': before.toISOString() },
  });
  return items.map((item) => withoutKeys<FleetOperationRecord>(item));
}
