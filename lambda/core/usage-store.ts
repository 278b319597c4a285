import { clusterPartition } from './cluster-store';
import { queryAll, updateIf, type Item, type Tables, type TransactItem } from './tables';

/**
 * Hourly usage windows in the state table: `CLUSTER#<clusterId>` / `USAGE#<hour>` (key design in
 * lib/contract/tables.ts), in time order under their cluster, so that any range of a cluster's
 * usage is one key-condition Query. Two writers share a window, each with its own attributes: the
 * ingest route ADDs each counted query (in the transaction that records it), the node-usage
 * collector SETs what the cluster's nodes used (a second collection of an hour overwrites the first).
 * The first writer fixes the version of the price table the window is priced with.
 */

const SORT_PREFIX = 'USAGE#';
export const usageWindowKey = (clusterId: string, hour: string) => ({ pk: clusterPartition(clusterId), sk: `${SORT_PREFIX}${hour}` });

/** The window a writer names: the cluster, its team and the hour (`YYYY-MM-DDTHH`, see ./usage-hours.ts). */
export interface WindowRef {
  readonly clusterId: string;
  readonly teamId: string;
  readonly hour: string;
}

/** What one counted query adds to its window. */
export interface QueryUsage {
  readonly failed: boolean;
  readonly cpuMs: number;
  readonly scannedBytes: number;
}

/** What a cluster's nodes used in one hour (./node-usage.ts). */
export interface NodeUsage {
  readonly vcpuHours: number;
  readonly gibHours: number;
  /** Node-hours by EC2 instance type. */
  readonly nodeHours: Readonly<Record<string, number>>;
  readonly clusterHours: number;
}

/** A window as stored, with zero for what no writer has written yet. */
export interface UsageWindow extends WindowRef, NodeUsage {
  readonly queryCount: number;
  readonly failedQueryCount: number;
  readonly queryCpuMs: number;
  readonly scannedBytes: number;
  readonly priceVersion: string;
}

const identity = (window: WindowRef, priceVersion: string) => ({
  expression: 'itemType = :type, clusterId = :cluster, teamId = :team, #hour = :hour, priceVersion = if_not_exists(priceVersion, :version)',
  names: { '#hour': 'hour' },
  values: { ':type': 'usage-window', ':cluster': window.clusterId, ':team': window.teamId, ':hour': window.hour, ':version': priceVersion },
});

/** One more query counted in its window, as an item of the transaction that records the query. */
export function countQueryItem(tables: Tables, window: WindowRef, usage: QueryUsage, priceVersion: string): TransactItem {
  const { expression, names, values } = identity(window, priceVersion);
  return {
    Update: {
      TableName: tables.stateTable,
      Key: usageWindowKey(window.clusterId, window.hour),
      UpdateExpression: `ADD queryCount :one, failedQueryCount :failed, queryCpuMs :cpu, scannedBytes :bytes SET ${expression}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ...values, ':one': 1, ':failed': usage.failed ? 1 : 0, ':cpu': usage.cpuMs, ':bytes': usage.scannedBytes },
    },
  };
}

/** What the cluster's nodes used in the window's hour, replacing what an earlier collection found. */
export async function recordNodeUsage(tables: Tables, window: WindowRef, usage: NodeUsage, priceVersion: string): Promise<void> {
  const { expression, names, values } = identity(window, priceVersion);
  await updateIf(tables, {
    Key: usageWindowKey(window.clusterId, window.hour),
    UpdateExpression: `SET vcpuHours = :vcpu, gibHours = :gib, nodeHours = :nodes, clusterHours = :clusterHours, ${expression}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: { ...values, ':vcpu': usage.vcpuHours, ':gib': usage.gibHours, ':nodes': usage.nodeHours, ':clusterHours': usage.clusterHours },
  });
}

/** The cluster's windows from hour `first` to hour `last` (both included), oldest first: one Query, a page per MB. */
export async function usageWindows(tables: Tables, clusterId: string, first: string, last: string): Promise<UsageWindow[]> {
  if (first > last) return [];
  const items = await queryAll(tables, {
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :last',
    ExpressionAttributeValues: { ':pk': clusterPartition(clusterId), ':first': `${SORT_PREFIX}${first}`, ':last': `${SORT_PREFIX}${last}` },
  });
  return items.map(toWindow);
}

const number = (item: Item, name: string) => (typeof item[name] === 'number' ? item[name] : 0);

function toWindow(item: Item): UsageWindow {
  return {
    clusterId: item.clusterId as string,
    teamId: item.teamId as string,
    hour: item.hour as string,
    queryCount: number(item, 'queryCount'),
    failedQueryCount: number(item, 'failedQueryCount'),
    queryCpuMs: number(item, 'queryCpuMs'),
    scannedBytes: number(item, 'scannedBytes'),
    vcpuHours: number(item, 'vcpuHours'),
    gibHours: number(item, 'gibHours'),
    nodeHours: (item.nodeHours as Record<string, number> | undefined) ?? {},
    clusterHours: number(item, 'clusterHours'),
    priceVersion: item.priceVersion as string,
  };
}
