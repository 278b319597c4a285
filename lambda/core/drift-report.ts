import type { DriftReport } from '../../lib/contract/fleet';
import { STATE_TABLE_KEYS } from '../../lib/contract/tables';
import { FLEET_PARTITION, type ClusterRecord } from './cluster-store';
import { latestDriftCheckId } from './drift-checks';
import { listDriftedOrBehind } from './fleet-clusters';
import { getFleetOperationRecord } from './fleet-operation-store';
import { queryAll, type PageRequest, type Tables } from './tables';
import { versionSkew, type CurrentVersions } from './version-skew';

const [, , FLEET_INDEX] = STATE_TABLE_KEYS.indexes;

/**
 * The fleet's drift and version skew: counts over every live (not DELETED) cluster, read from the
 * fleet index with only the attributes counted, the newest drift check, and a page of the drifted,
 * unknown and behind clusters.
 */
export async function fleetDriftReport(tables: Tables, page: PageRequest, current: CurrentVersions): Promise<DriftReport> {
  const [clusters, items, latest] = await Promise.all([
    queryAll(tables, {
      IndexName: FLEET_INDEX.name,
      KeyConditionExpression: '#pk = :fleet',
      ProjectionExpression: '#status, drift.#status, enginePins, sourceVersion',
      ExpressionAttributeNames: { '#pk': FLEET_INDEX.partitionKey, '#status': 'status' },
      ExpressionAttributeValues: { ':fleet': FLEET_PARTITION },
    }),
    listDriftedOrBehind(tables, page, current),
    latestDriftCheckId(tables).then((id) => (id ? getFleetOperationRecord(tables, id) : undefined)),
  ]);
  const counts = { inSync: 0, drifted: 0, unknown: 0, neverChecked: 0, behind: 0 };
  for (const cluster of clusters as Pick<ClusterRecord, 'status' | 'drift' | 'enginePins' | 'sourceVersion'>[]) {
    if (cluster.status === 'DELETED') continue;
    const drift = cluster.drift?.status;
    if (drift === 'IN_SYNC') counts.inSync++;
    else if (drift === 'DRIFTED') counts.drifted++;
    else if (drift === 'UNKNOWN') counts.unknown++;
    else counts.neverChecked++;
    if (versionSkew(cluster, current).behind) counts.behind++;
  }
  return {
    counts,
    ...(latest ? { lastCheck: { operationId: latest.operationId, createdAt: latest.createdAt, status: latest.status } } : {}),
    items: items.items,
    ...(items.nextToken ? { nextToken: items.nextToken } : {}),
  };
}
