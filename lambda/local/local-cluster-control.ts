import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterControl, ControlledCluster, NodeCounts } from '../fleet/cluster-control';

/** What the local control plane keeps of a cluster's run-time state: nothing runs locally, so this is the whole of it. */
export interface LocalClusterState {
  readonly endpointBlocked: boolean;
  /** Node counts by node role, as set by the last scale; absent: as its tier deployed them. */
  readonly nodes?: NodeCounts;
  readonly updatedAt: string;
}

/**
 * The cluster control of the local control plane: it records, per cluster, whether its endpoint is
 * blocked and its node counts, in `<folder>/<clusterId>.json` (beside the local deployer's
 * deployments), where AWS would change the ALB's listener rules and the EKS node groups.
 */
export class LocalClusterControl implements ClusterControl {
  constructor(
    private readonly folder: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async state(clusterId: string): Promise<LocalClusterState | undefined> {
    try {
      return JSON.parse(await readFile(this.file(clusterId), 'utf8')) as LocalClusterState;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async blockEndpoint(cluster: ControlledCluster): Promise<string> {
    const before = await this.change(cluster.clusterId, { endpointBlocked: true });
    return before?.endpointBlocked ? 'already blocked (local: recorded only)' : 'answers 503 (local: recorded only)';
  }

  async unblockEndpoint(cluster: ControlledCluster): Promise<string> {
    await this.change(cluster.clusterId, { endpointBlocked: false });
    return 'serves queries again (local: recorded only)';
  }

  async scaleToZero(cluster: ControlledCluster): Promise<string> {
    await this.change(cluster.clusterId, { nodes: { coordinator: 0, worker: 0 } });
    return 'coordinator 0, workers 0 (local: recorded only)';
  }

  async restoreScale(cluster: ControlledCluster, counts: NodeCounts): Promise<string> {
    await this.change(cluster.clusterId, { nodes: counts });
    return `coordinator ${counts.coordinator}, workers ${counts.worker} (local: recorded only)`;
  }

  private file(clusterId: string): string {
    // Cluster ids are `c-` and hex (lib/contract/ids.ts): safe as a file name.
    return join(this.folder, `${clusterId}.json`);
  }

  private async change(clusterId: string, change: Partial<Omit<LocalClusterState, 'updatedAt'>>): Promise<LocalClusterState | undefined> {
    const before = await this.state(clusterId);
    await mkdir(this.folder, { recursive: true });
    const after: LocalClusterState = { endpointBlocked: false, ...before, ...change, updatedAt: this.now().toISOString() };
    await writeFile(this.file(clusterId), JSON.stringify(after));
    return before;
  }
}
