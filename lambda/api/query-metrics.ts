import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { USAGE_METRICS, type QueryRecord } from '../../lib/contract/usage';
import type { ClusterCaller } from '../core/callers';
import { BYTES_PER_TIB, type PriceTable } from '../core/pricing';
import type { QueryMetrics } from './ingest-operations';

/**
 * The ingest route's CloudWatch metrics, in embedded metric format through Powertools Metrics: per
 * counted query, under the cluster's environment, team and cluster (lib/contract/usage.ts
 * `USAGE_METRICS`). Written to stdout when `publish` is called, once per invocation.
 */
export class EmfQueryMetrics implements QueryMetrics {
  constructor(
    private readonly prices: PriceTable,
    readonly metrics = new Metrics({ namespace: USAGE_METRICS.namespace }),
  ) {
    // Only the documented dimensions: no `service`.
    this.metrics.clearDefaultDimensions();
  }

  queryCounted(cluster: ClusterCaller, record: QueryRecord): void {
    const { ingest } = USAGE_METRICS;
    this.metrics.addDimension('Environment', cluster.environment);
    this.metrics.addDimension('TeamId', cluster.teamId);
    this.metrics.addDimension('ClusterId', cluster.clusterId);
    this.metrics.addMetric(ingest.queries, MetricUnit.Count, 1);
    this.metrics.addMetric(ingest.failedQueries, MetricUnit.Count, record.state === 'FAILED' ? 1 : 0);
    this.metrics.addMetric(ingest.dataScanned, MetricUnit.Bytes, record.physicalInputBytes);
    this.metrics.addMetric(ingest.cpuSeconds, MetricUnit.Seconds, record.cpuTimeMs / 1000);
    this.metrics.addMetric(ingest.estimatedScanCost, MetricUnit.NoUnit, (record.physicalInputBytes / BYTES_PER_TIB) * this.prices.scannedTiB);
  }

  /** Writes what this invocation counted (nothing when it counted nothing). */
  publish(): void {
    if (this.metrics.hasStoredMetrics()) this.metrics.publishStoredMetrics();
  }
}
