import { CfnCondition, CfnResource, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as cr from 'aws-cdk-lib/custom-resources';
import type { IConstruct } from 'constructs';

/*
 * The constructs that aws-cdk-lib creates for a tenant but exposes no API for, found here and
 * nowhere else: the tenant's constructs route their logs and acknowledge their findings. Each
 * lookup throws, saying what it expected, when an upgrade of aws-cdk-lib changes them
 * (test/lib/tenant/aws-cdk-lib-internals.test.ts runs every one).
 */

/** What aws-eks-v2 creates for a cluster's kubectl provider, besides what `cluster.kubectlProvider` exposes. */
export interface KubectlProviderInternals {
  /** The function that runs kubectl and helm: the onEvent handler of the provider framework. */
  readonly handler: lambda.IFunction;
  /** The provider framework's own function, which CloudFormation invokes and which invokes the handler. */
  readonly frameworkOnEvent: lambda.Function;
  /**
   * `HasEcrPublic`, which the provider adds beside its role: under it, it attaches ECR Public read
   * to that role. Unused when the role is imported as immutable.
   */
  readonly ecrPublicCondition: CfnCondition;
}

export function kubectlProviderInternals(cluster: eks.Cluster): KubectlProviderInternals {
  const provider = cluster.kubectlProvider;
  if (!provider?.role) throw changed(`${cluster.node.path} has no kubectl provider with a role`);
  const framework = exactlyOne(
    provider.node.children.filter((child) => child instanceof cr.Provider),
    'custom resource Provider (aws-cdk-lib/custom-resources)',
    provider,
  );
  const frameworkOnEvent = exactlyOne(
    framework.node.findAll().filter((construct) => construct instanceof lambda.Function),
    'Lambda function (framework-onEvent)',
    framework,
  );
  const roleScope = provider.role.node.scope!;
  const ecrPublicCondition = roleScope.node.tryFindChild('HasEcrPublic');
  if (!(ecrPublicCondition instanceof CfnCondition)) {
    throw changed(`expected the CfnCondition HasEcrPublic beside the kubectl provider's role, in ${roleScope.node.path}`);
  }
  return { handler: framework.onEventHandler, frameworkOnEvent, ecrPublicCondition };
}

/** The singleton custom resource provider (one per stack) behind a VPC's `restrictDefaultSecurityGroup`. */
export interface RestrictDefaultSecurityGroupProvider {
  readonly provider: IConstruct;
  /** Its function: a plain `AWS::Lambda::Function` CfnResource, not a `lambda.CfnFunction`. */
  readonly handler: CfnResource;
}

export function restrictDefaultSecurityGroupProvider(vpc: ec2.Vpc): RestrictDefaultSecurityGroupProvider {
  const stack = Stack.of(vpc);
  const provider = stack.node.tryFindChild('Custom::VpcRestrictDefaultSGCustomResourceProvider');
  if (!provider) {
    throw changed(`expected the provider Custom::VpcRestrictDefaultSGCustomResourceProvider of ${vpc.node.path} in ${stack.node.path}`);
  }
  const handler = exactlyOne(
    provider.node
      .findAll()
      .filter((construct) => CfnResource.isCfnResource(construct))
      .filter((resource) => resource.cfnResourceType === 'AWS::Lambda::Function'),
    'AWS::Lambda::Function',
    provider,
  );
  return { provider, handler };
}

function exactlyOne<T extends IConstruct>(found: T[], what: string, scope: IConstruct): T {
  if (found.length !== 1) throw changed(`expected one ${what} in ${scope.node.path}, found ${found.length}`);
  return found[0];
}

function changed(detail: string): Error {
  return new Error(`aws-cdk-lib has changed what lib/tenant/aws-cdk-lib-internals.ts relies on: ${detail}`);
}
