import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { EnvironmentConfig } from '../../lib/config/platform-config';
import type { Cluster } from '../../lib/contract/api';
import { tenantClusterName } from '../../lib/contract/tenant-spec';
import { SAMPLE_PERIOD_MS, type NodeSamples } from '../core/node-usage';
import { tenantReaderCredentials, type AwsClientOptions } from '../core/tenant-reader';
import type { NodeMetricsReader } from './usage-collector';

/** The Container Insights metrics a cluster's node usage is read from (namespace ContainerInsights, dimension ClusterName). */
const METRICS = [
  { prefix: 'n', name: 'cluster_node_count', samples: 'nodeCount' },
  { prefix: 'c', name: 'node_cpu_usage_total', samples: 'cpuMillicoresPerNode' },
  { prefix: 'm', name: 'node_memory_working_set', samples: 'memoryBytesPerNode' },
] as const;

/** GetMetricData takes at most 500 queries: three per cluster. */
export const CLUSTERS_PER_REQUEST = Math.floor(500 / METRICS.length);

type Samples = { -readonly [K in keyof NodeSamples]: Map<number, number> };

/**
 * Reads an environment's clusters' node samples from CloudWatch Container Insights in the
 * environment's account (through its `sici-tenant-reader` role): one GetMetricData for all of them
 * (one per 166 clusters), followed through its pages, each metric averaged per minute.
 */
export class ContainerInsightsReader implements NodeMetricsReader {
  private readonly clients = new Map<string, CloudWatchClient>();

  constructor(private readonly options: AwsClientOptions = {}) {}

  async read(environment: EnvironmentConfig, clusters: readonly Pick<Cluster, 'clusterId' | 'tier'>[], start: Date, end: Date): Promise<Map<string, NodeSamples>> {
    const cloudWatch = this.client(environment);
    const found = new Map<string, Samples>();
    for (let offset = 0; offset < clusters.length; offset += CLUSTERS_PER_REQUEST) {
      const batch = clusters.slice(offset, offset + CLUSTERS_PER_REQUEST);
      const queries: MetricDataQuery[] = batch.flatMap((cluster, index) =>
        METRICS.map((metric) => ({
          Id: `${metric.prefix}${index}`,
          MetricStat: {
            Metric: { Namespace: 'ContainerInsights', MetricName: metric.name, Dimensions: [{ Name: 'ClusterName', Value: tenantClusterName(cluster.clusterId) }] },
            Period: SAMPLE_PERIOD_MS / 1000,
            Stat: 'Average',
          },
          ReturnData: true,
        })),
      );
      let nextToken: string | undefined;
      do {
        const page = await cloudWatch.send(
          new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: start, EndTime: end, ScanBy: 'TimestampAscending', NextToken: nextToken }),
        );
        for (const result of page.MetricDataResults ?? []) {
          const metric = METRICS.find((candidate) => result.Id?.startsWith(candidate.prefix));
          const cluster = batch[Number(result.Id?.slice(1))];
          if (!metric || !cluster) continue;
          if (result.StatusCode === 'Forbidden' || result.StatusCode === 'InternalError') {
            throw new Error(`GetMetricData ${metric.name} of ${tenantClusterName(cluster.clusterId)}: ${result.StatusCode} ${(result.Messages ?? []).map((m) => m.Value).join('; ')}`);
          }
          const series = samplesOf(found, cluster.clusterId)[metric.samples];
          (result.Timestamps ?? []).forEach((timestamp, i) => series.set(timestamp.getTime(), result.Values?.[i] ?? 0));
        }
        nextToken = page.NextToken;
      } while (nextToken);
    }
    return found;
  }

  private client(environment: EnvironmentConfig): CloudWatchClient {
    const key = `${environment.account}/${environment.region}`;
    let client = this.clients.get(key);
    if (!client) {
      const credentials = tenantReaderCredentials(environment, 'sici-usage-collector', this.options);
      client = new CloudWatchClient({ region: environment.region, credentials, requestHandler: this.options.requestHandler });
      this.clients.set(key, client);
    }
    return client;
  }
}

function samplesOf(found: Map<string, Samples>, clusterId: string): Samples {
  let samples = found.get(clusterId);
  if (!samples) found.set(clusterId, (samples = { nodeCount: new Map(), cpuMillicoresPerNode: new Map(), memoryBytesPerNode: new Map() }));
  return samples;
}
