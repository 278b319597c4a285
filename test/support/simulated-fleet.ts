import type { PlatformConfig } from '../../lib/config/platform-config';
import type { Cluster, ProvisioningJob } from '../../lib/contract/api';
import { newClusterId } from '../../lib/contract/ids';
import type { EngineConfig } from '../../lib/contract/platform-names';
import { getClusterRecord, putClusterItem } from '../../lambda/core/cluster-store';
import { completeJobItems, failJobItems } from '../../lambda/core/job-lifecycle';
import type { JobStarter } from '../../lambda/core/job-starter';
import { markJobRunning } from '../../lambda/core/job-store';
import { transact, type Tables } from '../../lambda/core/tables';

/** Engine pins one chart version and one image behind the platform's: what an upgrade moves clusters from. */
export function previousPins(config: PlatformConfig): EngineConfig {
  return { ...config.engine, chart: { ...config.engine.chart, version: '0.0.1' }, image: { ...config.engine.image, digest: `sha256:${'0'.repeat(64)}` } };
}

/**
 * `count` ACTIVE clusters of one team written straight into the state table, as a finished CREATE
 * would leave them (created one millisecond apart, so the fleet's order is their order), with
 * `pins` (default: the previous pins).
 */
export async function createSimulatedClusters(
  tables: Tables,
  config: PlatformConfig,
  options: { teamId: string; count: number; environment?: string; pins?: EngineConfig; startAt?: number },
): Promise<Cluster[]> {
  const clusters: Cluster[] = [];
  const base = options.startAt ?? Date.parse('2026-01-01T00:00:00.000Z');
  for (let i = 0; i < options.count; i++) {
    const time = new Date(base + i).toISOString();
    const cluster: Cluster = {
      clusterId: newClusterId(),
      teamId: options.teamId,
      environment: (options.environment ?? 'dev') as Cluster['environment'],
      tier: 'S',
      status: 'ACTIVE',
      endpoint: null,
      vpcCidr: `10.${(i >> 8) & 255}.${i & 255}.0/24`,
      createdAt: time,
      updatedAt: time,
    };
    const item = putClusterItem(tables, cluster);
    item.Put!.Item = { ...item.Put!.Item, enginePins: options.pins ?? previousPins(config) };
    await transact(tables, [item]);
    clusters.push(cluster);
  }
  return clusters;
}

/**
 * The JobStarter port with no workflow behind it: each job runs at once and ends through the same
 * core transactions the workflow's `Complete job` and `Fail job` use, succeeding or failing as
 * `fails` says. Records the jobs it ran and the most it ran at a time.
 */
export class SimulatedJobRunner implements JobStarter {
  readonly jobs: ProvisioningJob[] = [];
  fails: (job: ProvisioningJob) => boolean = () => false;
  onStart: (job: ProvisioningJob) => Promise<void> = async () => undefined;
  maxInFlight = 0;
  private inFlight = 0;

  constructor(
    private readonly tables: Tables,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async start(job: ProvisioningJob): Promise<void> {
    this.jobs.push(job);
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    try {
      await this.onStart(job);
      await markJobRunning(this.tables, job);
      const running: ProvisioningJob = { ...job, status: 'RUNNING' };
      const cluster = (await getClusterRecord(this.tables, job.clusterId))!;
      const now = this.now().toISOString();
      await transact(
        this.tables,
        this.fails(job)
          ? failJobItems(this.tables, running, cluster, undefined, { step: 'Deploy tenant stack', cause: `injected failure of ${job.clusterId}` }, now)
          : await completeJobItems(this.tables, running, cluster, undefined, now),
      );
    } finally {
      this.inFlight--;
    }
  }

  jobsOf(clusterId: string): ProvisioningJob[] {
    return this.jobs.filter((job) => job.clusterId === clusterId);
  }
}
