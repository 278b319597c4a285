import type { EnvironmentConfig, PlatformConfig } from '../../lib/config/platform-config';
import type { QueryGroup } from '../../lib/contract/query-access';
import { ingestTokenSecretName, parseTenantSpec, type TenantDatasource, type TenantSpec } from '../../lib/contract/tenant-spec';
import type { ClusterRecord } from './cluster-store';

/**
 * What a cluster is deployed with: its TenantSpec, generated from the cluster, its deployed
 * datasources and the platform configuration; nothing in it is chosen by the team beyond the
 * tier and the datasources, and its groups are the ones a platform admin registered on its team. Throws a `DocumentError` if the result is not a valid TenantSpec.
 */
export function tenantSpecOf(
  cluster: ClusterRecord & { vpcCidr: string },
  environment: EnvironmentConfig,
  datasources: TenantDatasource[],
  groups: QueryGroup[],
  config: PlatformConfig,
): TenantSpec {
  return parseTenantSpec(
    {
      clusterId: cluster.clusterId,
      teamId: cluster.teamId,
      environment: cluster.environment,
      tier: cluster.tier,
      vpcCidr: cluster.vpcCidr,
      // A cluster keeps the engine it was created with until an upgrade moves it.
      engine: cluster.enginePins ?? config.engine,
      datasources,
      groups,
      ingest: {
        endpoint: `${config.ingestEndpoint.replace(/\/$/, '')}/clusters/${cluster.clusterId}/queries`,
        tokenSecretName: ingestTokenSecretName(cluster.clusterId),
      },
      queryEndpoint: { hostname: `${cluster.clusterId}.${environment.queryDomain}`, certificateArn: environment.certificateArn },
      tags: {},
      ...(cluster.suspension ? { suspended: true } : {}),
    },
    `TenantSpec of ${cluster.clusterId}`,
  );
}
