import type { TierConfig } from '../../lib/config/platform-config';
import type { Cluster, ClusterStatus } from '../../lib/contract/api';
import { HOUR_MS, hourStart } from './usage-hours';
import type { NodeUsage } from './usage-store';

/**
 * How a cluster's nodes are metered: from Container Insights samples of its EKS cluster, one per
 * minute, within the time the cluster accrues usage. A cluster accrues from its creation until it
 * is SUSPENDED, FAILED or DELETED (the moment of that status change): nothing after that moment.
 */

/** Container Insights samples of one cluster, by the start of their minute (epoch ms). */
export interface NodeSamples {
  /** `cluster_node_count`, average over the minute. */
  readonly nodeCount: ReadonlyMap<number, number>;
  /** `node_cpu_usage_total` of one node, average over the minute and the nodes (millicores). */
  readonly cpuMillicoresPerNode: ReadonlyMap<number, number>;
  /** `node_memory_working_set` of one node, average over the minute and the nodes (bytes). */
  readonly memoryBytesPerNode: ReadonlyMap<number, number>;
}

/** The period of the samples. */
export const SAMPLE_PERIOD_MS = 60_000;

const GIB = 2 ** 30;

/** When a cluster accrues usage: from `start` until `stop` (epoch ms; none while it runs). */
export interface Accrual {
  readonly start: number;
  readonly stop?: number;
}

const STOPPED: readonly ClusterStatus[] = ['SUSPENDED', 'FAILED', 'DELETED'];

export function accrualOf(cluster: Pick<Cluster, 'status' | 'createdAt' | 'updatedAt'>): Accrual {
  return { start: Date.parse(cluster.createdAt), ...(STOPPED.includes(cluster.status) ? { stop: Date.parse(cluster.updatedAt) } : {}) };
}

/** Whether the cluster accrues anything between `from` and `to`. */
export const accruesBetween = (accrual: Accrual, from: number, to: number) => accrual.start < to && (accrual.stop === undefined || accrual.stop > from);

/**
 * What the cluster's nodes used in `hour` (up to `now`, for the hour under way): vCPU-hours and
 * GiB-hours in use, node-hours by instance type (the first node is the coordinator's, the others
 * workers', as the tier's two node groups have them) and the hours the cluster accrued.
 */
export function nodeUsageInHour(samples: NodeSamples, hour: string, accrual: Accrual, tier: TierConfig, now: number): NodeUsage {
  const from = Math.max(hourStart(hour), accrual.start);
  const to = Math.min(hourStart(hour) + HOUR_MS, accrual.stop ?? Infinity, now);
  let vcpuHours = 0;
  let gibHours = 0;
  let coordinatorHours = 0;
  let workerHours = 0;
  const share = SAMPLE_PERIOD_MS / HOUR_MS;
  for (const [minute, nodes] of samples.nodeCount) {
    if (minute < from || minute >= to) continue;
    vcpuHours += ((samples.cpuMillicoresPerNode.get(minute) ?? 0) * nodes * share) / 1000;
    gibHours += ((samples.memoryBytesPerNode.get(minute) ?? 0) * nodes * share) / GIB;
    coordinatorHours += Math.min(nodes, 1) * share;
    workerHours += Math.max(nodes - 1, 0) * share;
  }
  const nodeHours = new Map<string, number>();
  const add = (instanceType: string, value: number) => value > 0 && nodeHours.set(instanceType, (nodeHours.get(instanceType) ?? 0) + value);
  add(tier.coordinator.instanceType, coordinatorHours);
  add(tier.worker.instanceType, workerHours);
  return { vcpuHours, gibHours, nodeHours: Object.fromEntries(nodeHours), clusterHours: Math.max(0, to - from) / HOUR_MS };
}
