import type { EnvironmentConfig, PlatformConfig } from '../../lib/config/platform-config';
import type { Cluster } from '../../lib/contract/api';
import { everyCluster } from '../core/every-cluster';
import { accrualOf, accruesBetween, nodeUsageInHour, type NodeSamples } from '../core/node-usage';
import { recordPriceTable } from '../core/price-tables';
import { costMicros } from '../core/pricing';
import type { Tables } from '../core/tables';
import { HOUR_MS, hourOf, hoursBetween, hourStart } from '../core/usage-hours';
import { recordNodeUsage, type NodeUsage } from '../core/usage-store';

/** Reads the Container Insights samples of an environment's clusters: one batched read for them all. */
export interface NodeMetricsReader {
  read(environment: EnvironmentConfig, clusters: readonly Pick<Cluster, 'clusterId' | 'tier'>[], start: Date, end: Date): Promise<ReadonlyMap<string, NodeSamples>>;
}

/** Where the collector reports each window it wrote (CloudWatch metrics in AWS). */
export interface NodeUsageMetrics {
  windowCollected(cluster: Pick<Cluster, 'clusterId' | 'teamId' | 'environment'>, hour: string, usage: NodeUsage, infrastructureCostMicros: number): void;
}

export interface UsageCollectorDependencies {
  readonly tables: Tables;
  readonly config: PlatformConfig;
  readonly nodeMetrics: NodeMetricsReader;
  readonly now: () => Date;
  readonly metrics?: NodeUsageMetrics;
}

/** The hour under way and the two before it: an hour is collected again until Container Insights has all of it, and a missed run is caught up. */
export const COLLECTED_HOURS = 3;

export interface CollectionSummary {
  readonly hours: { readonly first: string; readonly last: string };
  readonly clusters: number;
  readonly windows: number;
  /** Environments whose samples could not be read, with why: their windows stay as they were. */
  readonly failed: readonly { environment: string; error: string }[];
}

const NO_SAMPLES: NodeSamples = { nodeCount: new Map(), cpuMillicoresPerNode: new Map(), memoryBytesPerNode: new Map() };

/**
 * The scheduled node-usage collector: for every cluster that accrued usage in the last hours, what
 * its nodes used in each hour, read from Container Insights (one batched read per environment) and
 * written into the cluster's hourly windows. Writing an hour again replaces what was written, so
 * runs may overlap or repeat; a cluster accrues nothing after it is SUSPENDED, FAILED or DELETED.
 */
export async function collectNodeUsage(deps: UsageCollectorDependencies, hours = COLLECTED_HOURS): Promise<CollectionSummary> {
  const now = deps.now().getTime();
  const first = hourOf(now - (hours - 1) * HOUR_MS);
  const last = hourOf(now);
  const start = hourStart(first);
  const priceVersion = await recordPriceTable(deps.tables, deps.config.prices);
  const clusters = (await everyCluster(deps.tables)).filter((cluster) => accruesBetween(accrualOf(cluster), start, now));
  const byEnvironment = new Map<string, Cluster[]>();
  for (const cluster of clusters) byEnvironment.set(cluster.environment, [...(byEnvironment.get(cluster.environment) ?? []), cluster]);

  let windows = 0;
  const failed: { environment: string; error: string }[] = [];
  for (const [name, members] of byEnvironment) {
    const environment = deps.config.environments[name as keyof PlatformConfig['environments']];
    if (!environment) continue; // no longer configured: nothing to read it from
    let samples: ReadonlyMap<string, NodeSamples>;
    try {
      samples = await deps.nodeMetrics.read(environment, members, new Date(start), new Date(now));
    } catch (error) {
      failed.push({ environment: name, error: String((error as Error)?.message ?? error) });
      continue;
    }
    for (const cluster of members) {
      const tier = deps.config.tiers[cluster.tier];
      for (const hour of hoursBetween(first, last)) {
        const usage = nodeUsageInHour(samples.get(cluster.clusterId) ?? NO_SAMPLES, hour, accrualOf(cluster), tier, now);
        if (usage.clusterHours === 0) continue;
        await recordNodeUsage(deps.tables, { clusterId: cluster.clusterId, teamId: cluster.teamId, hour }, usage, priceVersion);
        deps.metrics?.windowCollected(cluster, hour, usage, costMicros({ ...usage, scannedBytes: 0 }, deps.config.prices));
        windows++;
      }
    }
  }
  return { hours: { first, last }, clusters: clusters.length, windows, failed };
}
