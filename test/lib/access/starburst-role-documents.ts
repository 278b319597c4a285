import { Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { PolicyDocument, PolicyStatement } from '../../../lib/access/policy-document';
import { awsPartition, starburstRoleArn, tenantClusterName, type TenantDatasource } from '../../../lib/contract/tenant-spec';
import { StarburstRole } from '../../../lib/tenant/starburst-role';
import { cdkApp } from '../../support/cdk-app';
import { TemplateJson, type Json } from '../../support/template';

/** The documents of a cluster's Starburst role as `StarburstRole` synthesizes them, tokens resolved. */
export interface StarburstRoleDocuments {
  readonly roleArn: string;
  readonly roleName: string;
  readonly trust: PolicyDocument;
  readonly identity: PolicyStatement[];
  readonly boundary: PolicyStatement[];
}

export interface StarburstRoleInput {
  readonly clusterId: string;
  readonly account: string;
  readonly region: string;
  readonly datasources: TenantDatasource[];
}

/**
 * Synthesizes the `StarburstRole` construct alone (a stack with an imported cluster, secrets and key,
 * well under a second) and reads its role's trust policy, identity policy and permissions boundary
 * from the template, so that simulations evaluate what CDK deploys, not a copy of it.
 */
export function synthesizeStarburstRole(input: StarburstRoleInput): StarburstRoleDocuments {
  const { account, region } = input;
  const partition = awsPartition(region);
  const stack = new Stack(cdkApp(), 'StarburstRoleOnly', { env: { account, region } });
  const clusterName = tenantClusterName(input.clusterId);
  new StarburstRole(stack, 'Starburst', {
    clusterId: input.clusterId,
    cluster: eks.Cluster.fromClusterAttributes(stack, 'Cluster', { clusterName }),
    clusterName,
    datasources: input.datasources,
    engineSecrets: ['ingest-token', 'internal-shared-secret'].map((name) =>
      secretsmanager.Secret.fromSecretCompleteArn(stack, name, `arn:${partition}:secretsmanager:${region}:${account}:secret:sici/${input.clusterId}/${name}-AbCdEf`),
    ),
    secretsKey: kms.Key.fromKeyArn(stack, 'Key', `arn:${partition}:kms:${region}:${account}:key/00000000-0000-0000-0000-000000000000`),
    platformSecretArns: [`arn:${partition}:secretsmanager:${region}:${account}:secret:sici/identity-provider-client-AbCdEf`],
  });
  const cfn = TemplateJson.fromStack(stack);
  const resolve = (value: Json): Json => resolveTokens(value, { partition, account, region });
  const [, role] = cfn.onlyOfType('AWS::IAM::Role');
  const [policyId] = role.Properties.ManagedPolicyArns.map((arn: Json) => arn.Ref);
  return {
    roleArn: starburstRoleArn(input.clusterId, { account, region }),
    roleName: role.Properties.RoleName,
    trust: resolve(role.Properties.AssumeRolePolicyDocument),
    identity: resolve(cfn.resources[policyId].Properties.PolicyDocument.Statement),
    boundary: resolve(cfn.resources[role.Properties.PermissionsBoundary.Ref].Properties.PolicyDocument.Statement),
  };
}

/** Replaces the pseudo parameters and joins of a template fragment; anything else is left as it is. */
function resolveTokens(value: Json, pseudo: { partition: string; account: string; region: string }): Json {
  if (Array.isArray(value)) return value.map((v) => resolveTokens(v, pseudo));
  if (value === null || typeof value !== 'object') return value;
  if (value.Ref === 'AWS::Partition') return pseudo.partition;
  if (value.Ref === 'AWS::AccountId') return pseudo.account;
  if (value.Ref === 'AWS::Region') return pseudo.region;
  if (value.Ref === 'AWS::URLSuffix') return 'amazonaws.com';
  if (value['Fn::Join']) {
    const [separator, parts] = value['Fn::Join'];
    return parts.map((p: Json) => resolveTokens(p, pseudo)).join(separator);
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveTokens(v, pseudo)]));
}
