import type { ClusterRecord } from '../core/cluster-store';

/** The cluster a control acts on: enough to find its EKS cluster and ALB in its environment's account. */
export type ControlledCluster = Pick<ClusterRecord, 'clusterId' | 'teamId' | 'environment' | 'tier'>;

/** Node counts of a cluster's node groups, by the node role they are labelled with. */
export interface NodeCounts {
  readonly coordinator: number;
  readonly worker: number;
}

/**
 * What a suspension does to a running cluster, by direct calls in seconds (never a redeploy). Each
 * call is idempotent: blocking a blocked endpoint, or scaling a cluster already at zero, changes
 * nothing and succeeds. Each resolves to a short account of what it did, for the cluster's events.
 */
export interface ClusterControl {
  /** The query endpoint stops answering queries (503); a cluster with no endpoint yet has nothing to block. */
  blockEndpoint(cluster: ControlledCluster): Promise<string>;
  /** The query endpoint serves queries again. */
  unblockEndpoint(cluster: ControlledCluster): Promise<string>;
  /** Every node group of the cluster is scaled to zero nodes. */
  scaleToZero(cluster: ControlledCluster): Promise<string>;
  /** The node groups are scaled back to `counts` (the cluster's tier). */
  restoreScale(cluster: ControlledCluster, counts: NodeCounts): Promise<string>;
}
