import type { TenantSpec } from '../../lib/contract/tenant-spec';
import type { SpecLocation } from '../../lib/contract/workflow';

/** Where TenantSpecs are kept, versioned: S3 in AWS, the data folder locally. */
export interface SpecStore {
  put(spec: TenantSpec): Promise<SpecLocation>;
  get(location: SpecLocation): Promise<TenantSpec>;
  /** The newest version of a cluster's spec: what its last deploy used (jobs on a cluster never overlap). */
  latest(clusterId: string): Promise<SpecLocation | undefined>;
}

/** What a deployed TenantStack reports about itself (its CloudFormation outputs, EKS). */
export interface TenantOutputs {
  queryEndpoint: string;
  vpcId?: string;
  eksClusterArn?: string;
  starburstRoleArn?: string;
}

export interface TenantOutputsReader {
  read(spec: Pick<TenantSpec, 'clusterId' | 'environment'>): Promise<TenantOutputs>;
}
