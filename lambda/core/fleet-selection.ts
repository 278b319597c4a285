import pLimit from 'p-limit';
import type { ClusterStatus } from '../../lib/contract/api';
import type { FleetSelector } from '../../lib/contract/fleet';
import { STATE_TABLE_KEYS } from '../../lib/contract/tables';
import { FLEET_PARTITION, getClusterRecord, type ClusterRecord } from './cluster-store';
import { queryAll, withoutKeys, type Tables } from './tables';

const [TEAM_INDEX, , FLEET_INDEX] = STATE_TABLE_KEYS.indexes;

/** Cluster reads of a `clusterIds` selector in flight at once. */
const READS_AT_ONCE = 16;

/**
 * The clusters a fleet selector names, whose status is one of `statuses`: index Queries for an
 * environment (the fleet index, by its sort key's prefix), a team (the team index) or the whole
 * fleet, and one read per cluster for `clusterIds` (unknown ids are left out: the caller says which).
 * Ordered by environment, then creation.
 */
export async function selectClusters(tables: Tables, selector: FleetSelector, statuses: readonly ClusterStatus[]): Promise<ClusterRecord[]> {
  const wanted = new Set(statuses);
  let clusters: ClusterRecord[];
  if (selector.clusterIds) {
    const limit = pLimit(READS_AT_ONCE);
    const found = await Promise.all(selector.clusterIds.map((clusterId) => limit(() => getClusterRecord(tables, clusterId))));
    clusters = found.filter((cluster): cluster is ClusterRecord => cluster !== undefined);
  } else if (selector.teamId) {
    const items = await queryAll(tables, {
      IndexName: TEAM_INDEX.name,
      KeyConditionExpression: '#pk = :team AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': TEAM_INDEX.partitionKey, '#sk': TEAM_INDEX.sortKey },
      ExpressionAttributeValues: { ':team': `TEAM#${selector.teamId}`, ':prefix': 'CLUSTER#' },
    });
    clusters = items.map((item) => withoutKeys<ClusterRecord>(item));
  } else {
    const prefix = selector.environment ? `${selector.environment}#` : '';
    const items = await queryAll(tables, {
      IndexName: FLEET_INDEX.name,
      KeyConditionExpression: prefix ? '#pk = :fleet AND begins_with(#sk, :prefix)' : '#pk = :fleet',
      ExpressionAttributeNames: { '#pk': FLEET_INDEX.partitionKey, ...(prefix ? { '#sk': FLEET_INDEX.sortKey } : {}) },
      ExpressionAttributeValues: { ':fleet': FLEET_PARTITION, ...(prefix ? { ':prefix': prefix } : {}) },
    });
    clusters = items.map((item) => withoutKeys<ClusterRecord>(item));
  }
  return clusters.filter((cluster) => wanted.has(cluster.status)).sort(byEnvironmentThenCreation);
}

const byEnvironmentThenCreation = (a: ClusterRecord, b: ClusterRecord) =>
  a.environment.localeCompare(b.environment) || a.createdAt.localeCompare(b.createdAt) || a.clusterId.localeCompare(b.clusterId);

/** What a selector names, in words, for the problem that says it matched nothing. */
export function describeSelector(selector: FleetSelector): string {
  if (selector.clusterIds) return `clusters ${selector.clusterIds.slice(0, 5).join(', ')}${selector.clusterIds.length > 5 ? ` and ${selector.clusterIds.length - 5} more` : ''}`;
  if (selector.environment) return `environment ${selector.environment}`;
  if (selector.teamId) return `team ${selector.teamId}`;
  return 'the whole fleet';
}
