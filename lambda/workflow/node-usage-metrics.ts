import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Cluster } from '../../lib/contract/api';
import { USAGE_METRICS } from '../../lib/contract/usage';
import { MICROS_PER_DOLLAR } from '../core/pricing';
import { hourStart } from '../core/usage-hours';
import type { NodeUsage } from '../core/usage-store';
import type { NodeUsageMetrics } from './usage-collector';

/**
 * The collector's CloudWatch metrics, in embedded metric format through Powertools Metrics: one
 * data point per cluster and hour, timestamped at the hour's start, under the cluster's environment,
 * team and cluster (lib/contract/usage.ts `USAGE_METRICS`). An hour collected again is emitted
 * again: graph these with the Maximum statistic over one hour.
 */
export class EmfNodeUsageMetrics implements NodeUsageMetrics {
  constructor(readonly metrics = new Metrics({ namespace: USAGE_METRICS.namespace })) {
    this.metrics.clearDefaultDimensions();
  }

  windowCollected(cluster: Pick<Cluster, 'clusterId' | 'teamId' | 'environment'>, hour: string, usage: NodeUsage, infrastructureCostMicros: number): void {
    const { collector } = USAGE_METRICS;
    this.metrics.addDimension('Environment', cluster.environment);
    this.metrics.addDimension('TeamId', cluster.teamId);
    this.metrics.addDimension('ClusterId', cluster.clusterId);
    this.metrics.setTimestamp(hourStart(hour));
    this.metrics.addMetric(collector.nodeHours, MetricUnit.Count, Object.values(usage.nodeHours).reduce((sum, hours) => sum + hours, 0));
    this.metrics.addMetric(collector.vcpuHours, MetricUnit.Count, usage.vcpuHours);
    this.metrics.addMetric(collector.gibHours, MetricUnit.Count, usage.gibHours);
    this.metrics.addMetric(collector.clusterHours, MetricUnit.Count, usage.clusterHours);
    this.metrics.addMetric(collector.estimatedInfrastructureCost, MetricUnit.NoUnit, infrastructureCostMicros / MICROS_PER_DOLLAR);
    // One line per window: each has its own timestamp.
    this.metrics.publishStoredMetrics();
  }
}
