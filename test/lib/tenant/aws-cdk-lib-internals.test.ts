import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { CustomResourceProviderBase, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { kubectlProviderInternals, restrictDefaultSecurityGroupProvider } from '../../../lib/tenant/aws-cdk-lib-internals';
import { cdkApp } from '../../support/cdk-app';

/**
 * What the tenant's constructs find inside aws-cdk-lib, on constructs made the way TenantCluster
 * and TenantNetwork make them. When an upgrade of aws-cdk-lib moves or renames any of it, these
 * fail first, with the lookup's message saying what it expected.
 */

const stack = new Stack(cdkApp(), 'Internals', { env: { account: '111111111111', region: 'us-east-1' } });
const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1, restrictDefaultSecurityGroup: true });
// As TenantCluster: the kubectl handler runs as a role imported immutable.
const cluster = new eks.Cluster(stack, 'Cluster', {
  version: eks.KubernetesVersion.V1_35,
  vpc,
  defaultCapacityType: eks.DefaultCapacityType.NODEGROUP, defaultCapacity: 0,
  kubectlProviderOptions: {
    kubectlLayer: new KubectlV35Layer(stack, 'KubectlLayer'),
    role: iam.Role.fromRoleArn(stack, 'Deployer', 'arn:aws:iam::111111111111:role/deployer', { mutable: false }),
  },
});

test('the kubectl provider: its handler, the provider framework’s function in front of it, and the HasEcrPublic condition beside its role', () => {
  const { handler, frameworkOnEvent, ecrPublicCondition } = kubectlProviderInternals(cluster);
  const handlerFunction = handler.node.defaultChild as lambda.CfnFunction;
  expect(handlerFunction.description).toBe('onEvent handler for EKS kubectl resource provider');
  expect(stack.resolve(handlerFunction.role)).toBe('arn:aws:iam::111111111111:role/deployer');
  expect(frameworkOnEvent).not.toBe(handler);
  expect(frameworkOnEvent.node.path.startsWith(`${cluster.kubectlProvider!.node.path}/`)).toBe(true);
  expect(stack.resolve(ecrPublicCondition.expression)).toEqual({ 'Fn::Equals': [{ Ref: 'AWS::Partition' }, 'aws'] });
});

test('the provider of restrictDefaultSecurityGroup: a singleton of the stack, whose function is its service token', () => {
  const { provider, handler } = restrictDefaultSecurityGroupProvider(vpc);
  expect(provider.node.scope).toBe(stack);
  expect(provider).toBeInstanceOf(CustomResourceProviderBase);
  expect(stack.resolve((provider as CustomResourceProviderBase).serviceToken)).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(handler), 'Arn'] });
});

test('a lookup that finds nothing says what it expected', () => {
  const app = cdkApp();
  const withoutKubectl = new eks.Cluster(new Stack(app, 'Other'), 'Cluster', { version: eks.KubernetesVersion.V1_35, defaultCapacityType: eks.DefaultCapacityType.NODEGROUP, defaultCapacity: 0 });
  expect(() => kubectlProviderInternals(withoutKubectl)).toThrow(
    /^aws-cdk-lib has changed what lib\/tenant\/aws-cdk-lib-internals\.ts relies on: Other\/Cluster has no kubectl provider/,
  );
  const keepsDefaultRules = new ec2.Vpc(new Stack(app, 'Another'), 'Vpc', { restrictDefaultSecurityGroup: false });
  expect(() => restrictDefaultSecurityGroupProvider(keepsDefaultRules)).toThrow(
    /expected the provider Custom::VpcRestrictDefaultSGCustomResourceProvider of Another\/Vpc in Another/,
  );
});
