import type { TenantDatasource, TenantSpec } from '../../lib/contract/tenant-spec';
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

/** A datasource to check, as the cluster's engine will reach it. */
export interface AccessCheck {
  readonly clusterId: string;
  readonly environment: { readonly account: string; readonly region: string };
  /** The cluster's Starburst role: the principal the owner's trust policy names. */
  readonly starburstRoleArn: string;
  readonly datasource: TenantDatasource;
}

/**
 * Checks that a cluster reaches a new datasource exactly as generated, before it becomes ACTIVE.
 * Resolves with a one-line account of what was checked (for the cluster's events); rejects with a
 * `DatasourceAccessError` naming what failed.
 */
export interface AccessProbe {
  check(request: AccessCheck): Promise<string>;
}

/**
 * Checks a TenantSpec's generated tenant policy before it is deployed (IAM's policy simulator in
 * AWS). Resolves with a one-line account for the cluster's events; rejects with a PermanentError
 * when the policy would allow or deny other than generated.
 */
export interface TenantPolicyPrecheck {
  check(spec: TenantSpec): Promise<string>;
}
