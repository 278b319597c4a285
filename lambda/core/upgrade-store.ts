import { BatchWriteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ClusterUpgrade, ClusterUpgradeStatus, FleetSelector, UpgradeAccepted, UpgradeRun, UpgradeStatus, UpgradeTarget } from '../../lib/contract/fleet';
import { STATE_TABLE_KEYS } from '../../lib/contract/tables';
import type { ClusterRecord } from './cluster-store';
import { queryAll, queryPage, statusIn, transact, TransactionConflict, updateIf, withoutKeys, type Item, type Page, type PageRequest, type Tables, type TransactItem } from './tables';
import { clusterUpgradeStatusesLeadingTo, upgradeStatusesLeadingTo } from './transitions';

/**
 * Upgrade runs in the state table (key design in lib/contract/tables.ts): the run with its
 * counters (`RUN`, listed newest first in gsi1 under `UPGRADES`), the clusters it selected (`PLAN`,
 * read once by the plan step), one item per cluster (`CLUSTER#<id>`) and one per wave (`WAVE#…`).
 *
 * Every change of a cluster's status moves the run's counters in the same transaction, so the
 * counters are always the sum of the cluster items, and a cluster's outcome costs a constant
 * number of writes whatever the size of the run (no rereading of the run's clusters).
 */

const [LIST_INDEX] = STATE_TABLE_KEYS.indexes;

/** The list index's partition of upgrade runs. */
export const UPGRADES_PARTITION = 'UPGRADES';

/** The most clusters one run may select: its plan item lists them (about 80 bytes each) within DynamoDB's 400 KB item limit. */
export const MAX_CLUSTERS_PER_UPGRADE = 4000;

/** The most waves of one attempt: each wave adds about 20 events to the execution's history (25,000 at most in Step Functions). */
export const MAX_WAVES_PER_UPGRADE = 500;

/** How many failures `failures` names at most (the cluster pages show every cluster). */
export const MAX_FAILURES_SHOWN = 100;

const partition = (upgradeId: string) => `UPGRADE#${upgradeId}`;
export const upgradeRunKey = (upgradeId: string) => ({ pk: partition(upgradeId), sk: 'RUN' });
const planKey = (upgradeId: string) => ({ pk: partition(upgradeId), sk: 'PLAN' });
const clusterUpgradeKey = (upgradeId: string, clusterId: string) => ({ pk: partition(upgradeId), sk: `CLUSTER#${clusterId}` });
const waveKey = (upgradeId: string, attempt: number, wave: number) => ({
  pk: partition(upgradeId),
  sk: `WAVE#${String(attempt).padStart(4, '0')}#${String(wave).padStart(4, '0')}`,
});

export type Counts = UpgradeRun['counts'];
type Counter = keyof Omit<Counts, 'total'>;

/** The counter each cluster status is counted in: a BUSY cluster is still pending. */
const COUNTER_OF: Readonly<Record<ClusterUpgradeStatus, Counter>> = {
  PENDING: 'pending',
  BUSY: 'pending',
  RUNNING: 'running',
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
  SKIPPED: 'skipped',
};

/** The run item as kept: the document without its pages, plus the current attempt and its waves. */
export type UpgradeRecord = Omit<UpgradeRun, 'failures' | 'clusters' | 'nextToken'> & {
  /** The execution of the run: 1, then one more per resume. */
  attempt: number;
  /** The attempt whose waves are planned, and how many it has (retry waves of busy clusters are added at its end). */
  plannedAttempt?: number;
  waves?: number;
  /** `<attempt>#<wave>` of the last wave closed, so a retried close counts its wave once. */
  closedWave?: string;
  /** Why the reconciler halted the run (its execution had ended with the run still in flight); a resume clears it. */
  haltReason?: string;
};

/** A selected cluster, as the plan lists it. */
export type PlannedCluster = Pick<ClusterRecord, 'clusterId' | 'teamId' | 'environment'>;

/** A cluster item as kept: the document plus its place in the run's order. */
export type ClusterUpgradeRecord = ClusterUpgrade & { position: number };

export interface NewUpgrade {
  readonly upgradeId: string;
  readonly target: UpgradeTarget;
  readonly selector: FleetSelector;
  readonly canary: number;
  readonly batchSize: number;
  readonly maxConcurrency: number;
  readonly maxFailures: number;
  readonly requestedBy: string;
  readonly clusters: readonly PlannedCluster[];
  readonly time: string;
}

export function newUpgradeRecord(upgrade: NewUpgrade): UpgradeRecord {
  const { clusters, time, ...request } = upgrade;
  return {
    ...request,
    status: 'RUNNING',
    createdAt: time,
    updatedAt: time,
    counts: { total: clusters.length, pending: clusters.length, running: 0, succeeded: 0, failed: 0, skipped: 0 },
    wavesDone: 0,
    attempt: 1,
  };
}

/** The run and its plan, as items of the transaction that records the request (with its audit record). */
export function startUpgradeItems(tables: Tables, run: UpgradeRecord, clusters: readonly PlannedCluster[]): TransactItem[] {
  return [
    {
      Put: {
        TableName: tables.stateTable,
        Item: {
          ...upgradeRunKey(run.upgradeId),
          itemType: 'upgradeRun',
          [LIST_INDEX.partitionKey]: UPGRADES_PARTITION,
          [LIST_INDEX.sortKey]: `${run.createdAt}#${run.upgradeId}`,
          ...run,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    {
      Put: {
        TableName: tables.stateTable,
        Item: { ...planKey(run.upgradeId), itemType: 'upgradePlan', clusters: clusters.map(({ clusterId, teamId, environment }) => ({ clusterId, teamId, environment })) },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  ];
}

export async function getUpgradeRecord(tables: Tables, upgradeId: string): Promise<UpgradeRecord | undefined> {
  const { Item } = await tables.doc.send(new GetCommand({ TableName: tables.stateTable, Key: upgradeRunKey(upgradeId), ConsistentRead: true }));
  return Item ? withoutKeys<UpgradeRecord>(Item) : undefined;
}

export async function getPlan(tables: Tables, upgradeId: string): Promise<PlannedCluster[]> {
  const { Item } = await tables.doc.send(new GetCommand({ TableName: tables.stateTable, Key: planKey(upgradeId), ConsistentRead: true }));
  return (Item?.clusters as PlannedCluster[] | undefined) ?? [];
}

/** The run as the API shows it, without its pages. */
export function upgradeDocument(run: UpgradeRecord): Omit<UpgradeRun, 'failures' | 'clusters' | 'nextToken'> {
  const { attempt: _attempt, plannedAttempt: _planned, waves: _waves, closedWave: _closed, ...document } = run;
  return document;
}

/** The answer of a route that started, cancelled or resumed a run (202). */
export async function upgradeAccepted(tables: Tables, run: UpgradeRecord): Promise<UpgradeAccepted> {
  return { ...upgradeDocument(run), failures: await failuresOf(tables, run), links: { upgrade: `/fleet/upgrades/${run.upgradeId}` } };
}

export function listUpgradeRecords(tables: Tables, page: PageRequest): Promise<Page<UpgradeRecord>> {
  return queryPage(
    tables,
    {
      partition: { name: LIST_INDEX.partitionKey, value: UPGRADES_PARTITION },
      IndexName: LIST_INDEX.name,
      KeyConditionExpression: '#pk = :partition',
      ExpressionAttributeNames: { '#pk': LIST_INDEX.partitionKey },
      ExpressionAttributeValues: { ':partition': UPGRADES_PARTITION },
      ScanIndexForward: false,
    },
    page,
    (item) => withoutKeys<UpgradeRecord>(item),
  );
}

const toClusterUpgrade = (item: Item): ClusterUpgrade => {
  const { position: _position, ...upgrade } = withoutKeys<ClusterUpgradeRecord>(item);
  return upgrade;
};

/** A page of the run's clusters, by cluster id. */
export function clusterUpgradePage(tables: Tables, upgradeId: string, page: PageRequest): Promise<Page<ClusterUpgrade>> {
  return queryPage(
    tables,
    {
      partition: { name: 'pk', value: partition(upgradeId) },
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': partition(upgradeId), ':prefix': 'CLUSTER#' },
      ConsistentRead: true,
    },
    page,
    toClusterUpgrade,
  );
}

/** The run's failed clusters (at most MAX_FAILURES_SHOWN), read only when the counters say there are some. */
export async function failuresOf(tables: Tables, run: UpgradeRecord): Promise<ClusterUpgrade[]> {
  if (run.counts.failed === 0) return [];
  const items = await queryAll(tables, {
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    FilterExpression: '#status = :failed',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':pk': partition(run.upgradeId), ':prefix': 'CLUSTER#', ':failed': 'FAILED' },
    ConsistentRead: true,
  });
  return items.slice(0, MAX_FAILURES_SHOWN).map(toClusterUpgrade);
}

/** Every cluster item of the run (a resume plans what is left from them: once per attempt, not per cluster). */
export async function clusterUpgradesOf(tables: Tables, upgradeId: string): Promise<ClusterUpgradeRecord[]> {
  const items = await queryAll(tables, {
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': partition(upgradeId), ':prefix': 'CLUSTER#' },
    ConsistentRead: true,
  });
  return items.map((item) => withoutKeys<ClusterUpgradeRecord>(item)).sort((a, b) => a.position - b.position);
}

export async function getClusterUpgrade(tables: Tables, upgradeId: string, clusterId: string): Promise<ClusterUpgradeRecord | undefined> {
  const { Item } = await tables.doc.send(new GetCommand({ TableName: tables.stateTable, Key: clusterUpgradeKey(upgradeId, clusterId), ConsistentRead: true }));
  return Item ? withoutKeys<ClusterUpgradeRecord>(Item) : undefined;
}

/** BatchWriteItem's limit of items per call. */
const BATCH_WRITE_LIMIT = 25;

/** Writes the first attempt's cluster items (PENDING, with their wave); before any starts, so a retried plan rewrites them unchanged. */
export async function putPlannedClusters(tables: Tables, upgradeId: string, clusters: readonly ClusterUpgradeRecord[]): Promise<void> {
  for (let start = 0; start < clusters.length; start += BATCH_WRITE_LIMIT) {
    let requests: Record<string, unknown[]> = {
      [tables.stateTable]: clusters.slice(start, start + BATCH_WRITE_LIMIT).map((cluster) => ({
        PutRequest: { Item: { ...clusterUpgradeKey(upgradeId, cluster.clusterId), itemType: 'clusterUpgrade', ...cluster } },
      })),
    };
    for (let round = 0; Object.keys(requests).length > 0; round++) {
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** round)));
      const { UnprocessedItems } = await tables.doc.send(new BatchWriteCommand({ RequestItems: requests as never }));
      requests = (UnprocessedItems ?? {});
    }
  }
}

export async function putWave(tables: Tables, upgradeId: string, attempt: number, wave: number, content: { name: string; retry: boolean; members: string[] }): Promise<void> {
  await tables.doc.send(new PutCommand({ TableName: tables.stateTable, Item: { ...waveKey(upgradeId, attempt, wave), itemType: 'upgradeWave', ...content } }));
}

export async function getWave(tables: Tables, upgradeId: string, attempt: number, wave: number): Promise<{ name: string; retry: boolean; members: string[] } | undefined> {
  const { Item } = await tables.doc.send(new GetCommand({ TableName: tables.stateTable, Key: waveKey(upgradeId, attempt, wave), ConsistentRead: true }));
  return Item ? { name: Item.name as string, retry: Item.retry as boolean, members: Item.members as string[] } : undefined;
}

/** Records that an attempt's waves are planned (once: a retried plan finds it done). */
export function markPlanned(tables: Tables, upgradeId: string, attempt: number, waves: number, time: string): Promise<boolean> {
  return updateIf(tables, {
    Key: upgradeRunKey(upgradeId),
    UpdateExpression: 'SET plannedAttempt = :attempt, waves = :waves, updatedAt = :now',
    ConditionExpression: 'attribute_not_exists(plannedAttempt) OR plannedAttempt < :attempt',
    ExpressionAttributeValues: { ':attempt': attempt, ':waves': waves, ':now': time },
  });
}

/** Counts a wave closed, once, appending a retry wave when it left busy clusters. */
export function closeWaveOnce(tables: Tables, run: UpgradeRecord, wave: number, addedWaves: number, time: string): Promise<boolean> {
  const closed = `${run.attempt}#${wave}`;
  return updateIf(tables, {
    Key: upgradeRunKey(run.upgradeId),
    UpdateExpression: 'SET closedWave = :closed, wavesDone = wavesDone + :one, waves = waves + :added, updatedAt = :now',
    ConditionExpression: 'attempt = :attempt AND (attribute_not_exists(closedWave) OR closedWave <> :closed)',
    ExpressionAttributeValues: { ':closed': closed, ':one': 1, ':added': addedWaves, ':now': time, ':attempt': run.attempt },
  });
}

/**
 * The run's move to `target` along an edge of the transition table, as a transaction item (its
 * condition fails when the run's status allows no such move). A run that ends gets its
 * `completedAt`; a resume starts the next attempt.
 */
export function moveUpgradeItem(
  tables: Tables,
  upgradeId: string,
  target: UpgradeStatus,
  time: string,
  options: { from?: readonly UpgradeStatus[]; resume?: boolean } = {},
): TransactItem {
  const from = statusIn(options.from ?? upgradeStatusesLeadingTo(target));
  const ends = target === 'SUCCEEDED' || target === 'HALTED' || target === 'CANCELLED';
  return {
    Update: {
      TableName: tables.stateTable,
      Key: upgradeRunKey(upgradeId),
      UpdateExpression: `SET #status = :target, updatedAt = :now${ends ? ', completedAt = :now' : ''}${options.resume ? ' ADD attempt :one REMOVE completedAt, haltReason' : ''}`,
      ConditionExpression: `attribute_exists(pk) AND ${from.expression}`,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':target': target, ':now': time, ...from.values, ...(options.resume ? { ':one': 1 } : {}) },
    },
  };
}

/** The run's move on its own: false when its status allowed none. */
export async function moveUpgrade(tables: Tables, upgradeId: string, target: UpgradeStatus, time: string, options: { from?: readonly UpgradeStatus[] } = {}): Promise<boolean> {
  try {
    await transact(tables, [moveUpgradeItem(tables, upgradeId, target, time, options)]);
    return true;
  } catch (error) {
    if (error instanceof TransactionConflict) return false;
    throw error;
  }
}

/**
 * Halts a run in flight at `attempt` whose execution ended without ending it, with why (false when
 * the run moved meanwhile): a resume runs what is left in a new attempt.
 */
export function haltUpgradeWithReason(tables: Tables, upgradeId: string, attempt: number, reason: string, time: string): Promise<boolean> {
  const from = statusIn(upgradeStatusesLeadingTo('HALTED'));
  return updateIf(tables, {
    Key: upgradeRunKey(upgradeId),
    UpdateExpression: 'SET #status = :halted, haltReason = :reason, updatedAt = :now, completedAt = :now',
    ConditionExpression: `attempt = :attempt AND ${from.expression}`,
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':halted': 'HALTED', ':reason': reason, ':now': time, ':attempt': attempt, ...from.values },
  });
}

/** The runs in flight (RUNNING or CANCELLING); runs are few, one query of the list index. */
export async function upgradesInFlight(tables: Tables): Promise<UpgradeRecord[]> {
  const items = await queryAll(tables, {
    IndexName: LIST_INDEX.name,
    KeyConditionExpression: '#pk = :partition',
    FilterExpression: '#status IN (:running, :cancelling)',
    ExpressionAttributeNames: { '#pk': LIST_INDEX.partitionKey, '#status': 'status' },
    ExpressionAttributeValues: { ':partition': UPGRADES_PARTITION, ':running': 'RUNNING', ':cancelling': 'CANCELLING' },
  });
  return items.map((item) => withoutKeys<UpgradeRecord>(item));
}

export interface ClusterUpgradeChange {
  readonly upgradeId: string;
  readonly clusterId: string;
  readonly to: ClusterUpgradeStatus;
  readonly time: string;
  /** The statuses it may move from. @default every status the transition table leads from to `to` */
  readonly from?: readonly ClusterUpgradeStatus[];
  readonly jobId?: string;
  readonly errorDetails?: ClusterUpgrade['errorDetails'];
  /** Counts an attempt (a job start, or a start that found the cluster busy). */
  readonly attempt?: boolean;
}

/**
 * A cluster's move, as transaction items: its item (only from a status it may leave, read back in
 * the condition, so the counters move with the status it really had) and the run's counters.
 * `from` must name statuses of one counter, as every caller's do.
 */
export function moveClusterUpgradeItems(tables: Tables, change: ClusterUpgradeChange): TransactItem[] {
  const from = change.from ?? clusterUpgradeStatusesLeadingTo(change.to);
  const counters = new Set(from.map((status) => COUNTER_OF[status]));
  if (counters.size !== 1) throw new Error(`A cluster move from ${from.join(', ')} would move more than one counter`);
  const [fromCounter] = counters;
  const toCounter = COUNTER_OF[change.to];
  const allowed = statusIn(from);
  const sets = ['#status = :to', 'updatedAt = :now', ...(change.jobId ? ['jobId = :job'] : []), ...(change.errorDetails ? ['errorDetails = :details'] : [])];
  const item: TransactItem = {
    Update: {
      TableName: tables.stateTable,
      Key: clusterUpgradeKey(change.upgradeId, change.clusterId),
      UpdateExpression: `SET ${sets.join(', ')}${change.attempt ? ' ADD attempts :one' : ''}${change.to === 'PENDING' ? ' REMOVE errorDetails' : ''}`,
      ConditionExpression: `attribute_exists(pk) AND ${allowed.expression}`,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':to': change.to,
        ':now': change.time,
        ...allowed.values,
        ...(change.jobId ? { ':job': change.jobId } : {}),
        ...(change.errorDetails ? { ':details': change.errorDetails } : {}),
        ...(change.attempt ? { ':one': 1 } : {}),
      },
    },
  };
  if (fromCounter === toCounter) return [item];
  const counts: TransactItem = {
    Update: {
      TableName: tables.stateTable,
      Key: upgradeRunKey(change.upgradeId),
      UpdateExpression: 'ADD counts.#from :minusOne, counts.#to :one SET updatedAt = :now',
      ExpressionAttributeNames: { '#from': fromCounter, '#to': toCounter },
      ExpressionAttributeValues: { ':minusOne': -1, ':one': 1, ':now': change.time },
    },
  };
  return [item, counts];
}
