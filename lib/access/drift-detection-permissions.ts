import type { PolicyStatement } from './policy-document';

/**
 * What an environment's `sici-tenant-reader` role needs to detect the drift of its tenant stacks.
 * CloudFormation detects drift with the caller's credentials: beside its own three actions it reads
 * each resource of the stack through the resource type's read handler, so the role needs the read
 * actions of every resource type a TenantStack holds (below, by type). Custom resources
 * (`Custom::*`) are never checked by CloudFormation and need nothing. Nothing here writes.
 */

/** The read actions of each resource type a TenantStack holds (the read handlers of the CloudFormation registry schemas). */
export const DRIFT_READ_ACTIONS: Readonly<Record<string, readonly string[]>> = {
  'AWS::KMS::Key': ['kms:DescribeKey', 'kms:GetKeyPolicy', 'kms:GetKeyRotationStatus', 'kms:ListResourceTags'],
  'AWS::Logs::LogGroup': ['logs:DescribeLogGroups', 'logs:ListTagsForResource', 'logs:GetDataProtectionPolicy'],
  'AWS::IAM::Role': ['iam:GetRole', 'iam:GetRolePolicy', 'iam:ListRolePolicies', 'iam:ListAttachedRolePolicies'],
  'AWS::IAM::ManagedPolicy': ['iam:GetPolicy', 'iam:GetPolicyVersion', 'iam:ListPolicyVersions', 'iam:ListEntitiesForPolicy'],
  'AWS::IAM::Policy': ['iam:GetRolePolicy'],
  'AWS::EC2::VPC': ['ec2:DescribeVpcs', 'ec2:DescribeVpcAttribute'],
  'AWS::EC2::Subnet': ['ec2:DescribeSubnets'],
  'AWS::EC2::RouteTable': ['ec2:DescribeRouteTables'],
  'AWS::EC2::SubnetRouteTableAssociation': ['ec2:DescribeRouteTables'],
  'AWS::EC2::Route': ['ec2:DescribeRouteTables'],
  'AWS::EC2::EIP': ['ec2:DescribeAddresses'],
  'AWS::EC2::NatGateway': ['ec2:DescribeNatGateways'],
  'AWS::EC2::InternetGateway': ['ec2:DescribeInternetGateways'],
  'AWS::EC2::VPCGatewayAttachment': ['ec2:DescribeInternetGateways'],
  'AWS::EC2::FlowLog': ['ec2:DescribeFlowLogs'],
  'AWS::EC2::VPCEndpoint': ['ec2:DescribeVpcEndpoints'],
  'AWS::EC2::SecurityGroup': ['ec2:DescribeSecurityGroups', 'ec2:DescribeSecurityGroupRules'],
  'AWS::EC2::SecurityGroupIngress': ['ec2:DescribeSecurityGroups', 'ec2:DescribeSecurityGroupRules'],
  'AWS::EC2::LaunchTemplate': ['ec2:DescribeLaunchTemplates', 'ec2:DescribeLaunchTemplateVersions'],
  'AWS::Lambda::Function': ['lambda:GetFunction', 'lambda:GetFunctionCodeSigningConfig', 'lambda:GetRuntimeManagementConfig', 'lambda:GetFunctionRecursionConfig'],
  'AWS::Lambda::LayerVersion': ['lambda:GetLayerVersion'],
  'AWS::EKS::Cluster': ['eks:DescribeCluster'],
  'AWS::EKS::Nodegroup': ['eks:DescribeNodegroup'],
  'AWS::EKS::Addon': ['eks:DescribeAddon'],
  'AWS::EKS::AccessEntry': ['eks:DescribeAccessEntry', 'eks:ListAssociatedAccessPolicies'],
  'AWS::EKS::PodIdentityAssociation': ['eks:DescribePodIdentityAssociation'],
  'AWS::SSM::Parameter': ['ssm:GetParameters', 'ssm:ListTagsForResource'],
  'AWS::SecretsManager::Secret': ['secretsmanager:DescribeSecret', 'secretsmanager:GetResourcePolicy'],
};

/** The read actions drift detection of a stack with these resource types needs, and the types not listed here (the list must grow with the template). */
export function driftReadActions(resourceTypes: Iterable<string>): { actions: string[]; unlisted: string[] } {
  const actions = new Set<string>();
  const unlisted = new Set<string>();
  for (const type of resourceTypes) {
    if (type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource') continue;
    const read = Object.hasOwn(DRIFT_READ_ACTIONS, type) ? DRIFT_READ_ACTIONS[type] : undefined;
    if (read) read.forEach((action) => actions.add(action));
    else unlisted.add(type);
  }
  return { actions: [...actions].sort(), unlisted: [...unlisted].sort() };
}

/**
 * The statements to add to `tenantReaderRolePolicy`: the drift actions on the tenant stacks only,
 * and the read actions. Reads without resource-level permissions (EC2 and Logs Describe*) are on
 * `*`; IAM, EKS, Lambda and Secrets Manager reads are scoped to what a tenant stack names.
 */
export function driftDetectionStatements(environment: { account: string; region: string }, partition = 'aws'): PolicyStatement[] {
  const { account, region } = environment;
  const arn = (service: string, resource: string, inRegion = true) => `arn:${partition}:${service}:${inRegion ? region : ''}:${account}:${resource}`;
  const ofTypes = (prefix: string) => [...new Set(Object.values(DRIFT_READ_ACTIONS).flat().filter((action) => action.startsWith(`${prefix}:`)))].sort();
  return [
    {
      Sid: 'DetectTenantStackDrift',
      Effect: 'Allow',
      Action: ['cloudformation:DetectStackDrift', 'cloudformation:DescribeStackResourceDrifts'],
      Resource: arn('cloudformation', 'stack/TenantStack-*/*'),
    },
    // Takes a detection id, not a stack: no resource-level permissions.
    { Sid: 'FollowDriftDetection', Effect: 'Allow', Action: 'cloudformation:DescribeStackDriftDetectionStatus', Resource: '*' },
    { Sid: 'DriftReadDescribeOnly', Effect: 'Allow', Action: [...ofTypes('ec2'), ...ofTypes('logs')], Resource: '*' },
    {
      Sid: 'DriftReadIam',
      Effect: 'Allow',
      Action: ofTypes('iam'),
      Resource: [arn('iam', 'role/TenantStack-*', false), arn('iam', 'role/sici-*', false), arn('iam', 'policy/TenantStack-*', false), arn('iam', 'policy/sici-*', false)],
    },
    {
      Sid: 'DriftReadEks',
      Effect: 'Allow',
      Action: ofTypes('eks'),
      Resource: [arn('eks', 'cluster/sici-*'), arn('eks', 'nodegroup/sici-*/*/*'), arn('eks', 'addon/sici-*/*/*'), arn('eks', 'access-entry/sici-*/*'), arn('eks', 'podidentityassociation/sici-*/*')],
    },
    { Sid: 'DriftReadLambda', Effect: 'Allow', Action: ofTypes('lambda'), Resource: [arn('lambda', 'function:TenantStack-*'), arn('lambda', 'layer:*:*')] },
    // Keys, parameters and secrets carry the mandatory tags of every tenant resource.
    {
      Sid: 'DriftReadTagged',
      Effect: 'Allow',
      Action: [...ofTypes('kms'), ...ofTypes('ssm'), ...ofTypes('secretsmanager')],
      Resource: [arn('kms', 'key/*'), arn('ssm', 'parameter/*'), arn('secretsmanager', 'secret:*')],
      Condition: { StringEquals: { 'aws:ResourceTag/sici:managed': 'true' } },
    },
  ];
}
