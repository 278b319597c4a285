import type { EnvironmentConfig, PlatformConfig } from '../../lib/config/platform-config';
import type { Cluster } from '../../lib/contract/api';
import { SAMPLE_PERIOD_MS, type NodeSamples } from '../core/node-usage';
import type { NodeMetricsReader } from '../workflow/usage-collector';

/**
 * The local stand-in for Container Insights: nothing is deployed locally, so each cluster's nodes
 * are modeled from its tier (the coordinator and the workers a deploy would run, every minute) with
 * no CPU or memory in use. The node-usage collector runs on it as in AWS, so that a local cluster
 * accrues node-hours and cluster hours and its bill shows what the cluster would cost.
 */
export class LocalNodeMetrics implements NodeMetricsReader {
  constructor(private readonly config: Pick<PlatformConfig, 'tiers'>) {}

  async read(_environment: EnvironmentConfig, clusters: readonly Pick<Cluster, 'clusterId' | 'tier'>[], start: Date, end: Date): Promise<Map<string, NodeSamples>> {
    const minutes: number[] = [];
    for (let minute = Math.ceil(start.getTime() / SAMPLE_PERIOD_MS) * SAMPLE_PERIOD_MS; minute < end.getTime(); minute += SAMPLE_PERIOD_MS) minutes.push(minute);
    return new Map(
      clusters.map((cluster) => {
        const nodes = 1 + this.config.tiers[cluster.tier].worker.count;
        return [cluster.clusterId, { nodeCount: new Map(minutes.map((minute) => [minute, nodes])), cpuMillicoresPerNode: new Map(), memoryBytesPerNode: new Map() }];
      }),
    );
  }
}
