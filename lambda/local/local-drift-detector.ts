import type { ClusterRecord } from '../core/cluster-store';
import type { DetectedDrift } from '../core/drift-classification';
import type { DriftDetector } from '../fleet/drift-check';
import type { DeployedTemplate } from './local-deployer';

/**
 * Drift on the local control plane, which has no CloudFormation: a cluster deployed locally (its
 * synthesized template is kept) is in sync by construction, since nothing outside SICI changes it;
 * one with no template cannot be checked (the template reader throws, and the check is UNKNOWN).
 */
export class LocalDriftDetector implements DriftDetector {
  constructor(private readonly deployedTemplate: (clusterId: string) => DeployedTemplate) {}

  async detect(cluster: ClusterRecord): Promise<DetectedDrift> {
    this.deployedTemplate(cluster.clusterId);
    return { status: 'IN_SYNC' };
  }
}
