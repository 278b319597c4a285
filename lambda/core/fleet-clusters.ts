import type { FleetCluster, ListFleetClustersQuery } from '../../lib/contract/fleet';
import { STATE_TABLE_KEYS } from '../../lib/contract/tables';
import { FLEET_PARTITION, type ClusterRecord } from './cluster-store';
import { queryPage, withoutKeys, type Item, type Page, type PageRequest, type Tables } from './tables';
import { trinoReleaseOf, versionSkew, type CurrentVersions } from './version-skew';

/**
 * The fleet's clusters, for the platform team, by index Queries only: the fleet index (gsi3,
 * `FLEET` / `<environment>#<createdAt>#<clusterId>`, an environment by its sort key's prefix), or the
 * team index (gsi1) when a team is named; every other filter is a FilterExpression on those items.
 * Newest first within an environment.
 */

const [TEAM_INDEX, , FLEET_INDEX] = STATE_TABLE_KEYS.indexes;

/** Filter expressions over cluster items, built with their names and values. */
class Filters {
  readonly clauses: string[] = [];
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};

  name(...path: string[]): string {
    return path
      .map((segment) => {
        this.names[`#${segment}`] = segment;
        return `#${segment}`;
      })
      .join('.');
  }

  value(key: string, value: unknown): string {
    this.values[`:${key}`] = value;
    return `:${key}`;
  }
}

/**
 * Whether a cluster is behind, as a filter: the same rule as `versionSkew` (pins that differ in any
 * part, or a recorded source version that is not the current one).
 */
function behindExpression(filters: Filters, current: CurrentVersions): string {
  const pin = (path: string[], key: string, value: string) => `${filters.name('enginePins', ...path)} <> ${filters.value(key, value)}`;
  const pins = [
    pin(['kind'], 'pinKind', current.engine.kind),
    pin(['chart', 'name'], 'pinChart', current.engine.chart.name),
    pin(['chart', 'version'], 'pinChartVersion', current.engine.chart.version),
    pin(['image', 'tag'], 'pinTag', current.engine.image.tag),
    pin(['image', 'digest'], 'pinDigest', current.engine.image.digest),
  ];
  const source = filters.name('sourceVersion');
  return (
    `((attribute_exists(${filters.name('enginePins')}) AND (${pins.join(' OR ')})) OR ` +
    `(attribute_exists(${source}) AND ${source} <> ${filters.value('sourceVersion', current.sourceVersion)}))`
  );
}

export function fleetFilters(query: Omit<ListFleetClustersQuery, 'limit' | 'nextToken'>, current: CurrentVersions, filters = new Filters()): Filters {
  for (const field of ['tier', 'status'] as const) {
    if (query[field] !== undefined) filters.clauses.push(`${filters.name(field)} = ${filters.value(field, query[field])}`);
  }
  // The environment is the fleet index's sort key prefix; it is a filter only on the team index.
  if (query.teamId !== undefined && query.environment !== undefined) {
    filters.clauses.push(`${filters.name('environment')} = ${filters.value('environment', query.environment)}`);
  }
  if (query.trinoRelease !== undefined) {
    // Trino images are tagged `476`, Starburst Enterprise ones `476-e.1`: the release, then a hyphen.
    const tag = filters.name('enginePins', 'image', 'tag');
    filters.clauses.push(`(${tag} = ${filters.value('release', String(query.trinoRelease))} OR begins_with(${tag}, ${filters.value('releasePrefix', `${query.trinoRelease}-`)}))`);
  }
  if (query.drifted !== undefined) {
    filters.clauses.push(`${filters.name('drift', 'status')} = ${filters.value('driftStatus', query.drifted ? 'DRIFTED' : 'IN_SYNC')}`);
  }
  if (query.behind !== undefined) {
    const behind = behindExpression(filters, current);
    filters.clauses.push(query.behind ? behind : `NOT ${behind}`);
  }
  return filters;
}

/** A cluster item as the fleet route shows it: the cluster, its engine, suspension, drift and version skew. */
export function toFleetCluster(item: Item, current: CurrentVersions): FleetCluster {
  const record = withoutKeys<ClusterRecord>(item);
  const pins = record.enginePins;
  return {
    clusterId: record.clusterId,
    teamId: record.teamId,
    ...(record.name !== undefined ? { name: record.name } : {}),
    environment: record.environment,
    tier: record.tier,
    status: record.status,
    endpoint: record.endpoint ?? null,
    ...(record.activeJobId ? { activeJobId: record.activeJobId } : {}),
    ...(pins ? { engine: { kind: pins.kind, chartVersion: pins.chart.version, imageTag: pins.image.tag, trinoRelease: trinoReleaseOf(pins) } } : {}),
    ...(record.sourceVersion ? { sourceVersion: record.sourceVersion } : {}),
    ...(record.suspension ? { suspension: record.suspension } : {}),
    ...(record.drift ? { drift: record.drift } : {}),
    skew: versionSkew(record, current),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

/** The index Query of a fleet listing: the team index for a team, else the fleet index (by environment when given). */
export function fleetQuery(teamId: string | undefined, environment: string | undefined, filters: Filters) {
  const where = filters.clauses.length ? { FilterExpression: filters.clauses.join(' AND ') } : {};
  if (teamId !== undefined) {
    const partition = `TEAM#${teamId}`;
    return {
      partition: { name: TEAM_INDEX.partitionKey, value: partition },
      IndexName: TEAM_INDEX.name,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ...where,
      ExpressionAttributeNames: { '#pk': TEAM_INDEX.partitionKey, '#sk': TEAM_INDEX.sortKey, ...filters.names },
      ExpressionAttributeValues: { ':pk': partition, ':prefix': 'CLUSTER#', ...filters.values },
      ScanIndexForward: false,
    };
  }
  const prefix = environment === undefined ? undefined : `${environment}#`;
  return {
    partition: { name: FLEET_INDEX.partitionKey, value: FLEET_PARTITION },
    IndexName: FLEET_INDEX.name,
    KeyConditionExpression: prefix ? '#pk = :pk AND begins_with(#sk, :prefix)' : '#pk = :pk',
    ...where,
    ExpressionAttributeNames: { '#pk': FLEET_INDEX.partitionKey, ...(prefix ? { '#sk': FLEET_INDEX.sortKey } : {}), ...filters.names },
    ExpressionAttributeValues: { ':pk': FLEET_PARTITION, ...(prefix ? { ':prefix': prefix } : {}), ...filters.values },
    ScanIndexForward: false,
  };
}

export function listFleetClusters(tables: Tables, query: ListFleetClustersQuery, current: CurrentVersions): Promise<Page<FleetCluster>> {
  const filters = fleetFilters(query, current);
  return queryPage(tables, fleetQuery(query.teamId, query.environment, filters), query, (item) => toFleetCluster(item, current));
}

/**
 * A page of the clusters the drift report lists: live (not DELETED) clusters whose last drift
 * check found drift or could not complete, or that are behind.
 */
export function listDriftedOrBehind(tables: Tables, page: PageRequest, current: CurrentVersions): Promise<Page<FleetCluster>> {
  const filters = new Filters();
  const drift = filters.name('drift', 'status');
  filters.clauses.push(`${filters.name('status')} <> ${filters.value('deleted', 'DELETED')}`);
  filters.clauses.push(`(${drift} IN (${filters.value('drifted', 'DRIFTED')}, ${filters.value('unknown', 'UNKNOWN')}) OR ${behindExpression(filters, current)})`);
  return queryPage(tables, fleetQuery(undefined, undefined, filters), page, (item) => toFleetCluster(item, current));
}
