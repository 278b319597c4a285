import type { PolicyStatement } from './policy-document';

/**
 * The environment account's `sici-tenant-operator` role: what the fleet worker may change in a
 * running tenant, and nothing else: the node groups of SICI's EKS clusters (`sici-*`), and the
 * listener rules of ALBs (a suspension's 503 rule). It trusts the control plane account (the
 * fleet worker's role), like `sici-tenant-reader`.
 */
export const TENANT_OPERATOR_ROLE_NAME = 'sici-tenant-operator';

export function tenantOperatorRolePolicyStatements(environment: { readonly account: string; readonly region: string }, partition = 'aws'): PolicyStatement[] {
  const arn = (service: string, resource: string) => `arn:${partition}:${service}:${environment.region}:${environment.account}:${resource}`;
  return [
    { Sid: 'ListNodegroupsOfSiciClusters', Effect: 'Allow', Action: 'eks:ListNodegroups', Resource: arn('eks', 'cluster/sici-*') },
    {
      Sid: 'ScaleNodegroupsOfSiciClusters',
      Effect: 'Allow',
      Action: ['eks:DescribeNodegroup', 'eks:UpdateNodegroupConfig'],
      Resource: arn('eks', 'nodegroup/sici-*/*/*'),
    },
    // The Describe actions of Elastic Load Balancing have no resource-level permissions.
    {
      Sid: 'FindQueryLoadBalancers',
      Effect: 'Allow',
      Action: ['elasticloadbalancing:DescribeLoadBalancers', 'elasticloadbalancing:DescribeTags', 'elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeRules'],
      Resource: '*',
    },
    { Sid: 'AddSuspensionRule', Effect: 'Allow', Action: 'elasticloadbalancing:CreateRule', Resource: arn('elasticloadbalancing', 'listener/app/*/*/*') },
    {
      Sid: 'OrderAndRemoveSuspensionRule',
      Effect: 'Allow',
      Action: ['elasticloadbalancing:SetRulePriorities', 'elasticloadbalancing:DeleteRule'],
      Resource: arn('elasticloadbalancing', 'listener-rule/app/*/*/*/*'),
    },
  ];
}
