import type { TenantDatasource } from '../contract/tenant-spec';
import { PolicyStatement, sidPart } from './policy-document';

/**
 * The tenant side of cross-account datasource access: what the cluster's Starburst role may do in
 * the data owners' accounts. The one source of these statements; `StarburstRole` renders them in CDK.
 */

export type AssumableDatasource = Pick<TenantDatasource, 'id' | 'roleArn' | 'externalId'>;

/** The statement id of a datasource's AssumeRole statement, e.g. `Assumeds0123456789abcdef`. */
export function assumeStatementSid(datasourceId: string): string {
  return `Assume${sidPart(datasourceId)}`;
}

/**
 * One `sts:AssumeRole` statement per datasource: its role only, and only with its ExternalId. No
 * wildcard, no statement shared by two datasources, so that one datasource's ExternalId never opens
 * another's role.
 */
export function tenantAssumeStatements(datasources: readonly AssumableDatasource[]): PolicyStatement[] {
  return datasources.map((ds) => ({
    Sid: assumeStatementSid(ds.id),
    Effect: 'Allow',
    Action: 'sts:AssumeRole',
    Resource: ds.roleArn,
    Condition: { StringEquals: { 'sts:ExternalId': ds.externalId } },
  }));
}

/**
 * The permissions boundary's cap on the same: `sts:AssumeRole` on the approved roles and nothing
 * else (a boundary only limits; the ExternalId is enforced by the identity policy and the owner's
 * trust policy). Empty without datasources.
 */
export function tenantAssumeBoundaryStatements(datasources: readonly AssumableDatasource[]): PolicyStatement[] {
  if (datasources.length === 0) return [];
  return [
    {
      Sid: 'AssumeApprovedDatasourceRoles',
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Resource: datasources.map((ds) => ds.roleArn),
    },
  ];
}

/**
 * `sts:TagSession` on the approved roles. EKS Pod Identity marks its session tags (cluster,
 * namespace, service account, pod) transitive, so the engine's chained `AssumeRole` into a datasource
 * role carries them and needs `sts:TagSession` from both the caller's policy and the role's trust
 * policy. `sts:ExternalId` is not in TagSession's request context, so these statements cannot carry
 * that condition; they give nothing on their own (the AssumeRole still needs the ExternalId).
 */
export function tenantTagSessionStatements(datasources: readonly AssumableDatasource[]): PolicyStatement[] {
  if (datasources.length === 0) return [];
  return [
    {
      Sid: 'TagSessionsOfApprovedDatasourceRoles',
      Effect: 'Allow',
      Action: 'sts:TagSession',
      Resource: datasources.map((ds) => ds.roleArn),
    },
  ];
}
