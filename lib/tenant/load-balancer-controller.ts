import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Aws, Duration, Stack, ValidationError } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledgeFindings } from '../compliance/compliance';
import { lit } from '../compliance/error-code';
import { PodIdentityRole } from './pod-identity-role';

export interface LoadBalancerControllerProps {
  readonly cluster: eks.Cluster;
  /** The cluster's name, known at synth. */
  readonly clusterName: string;
  /**
   * Controller version; its IAM policy is the one aws-cdk-lib ships for that version.
   * @default AlbControllerVersion.V3_2_2
   */
  readonly version?: eks.AlbControllerVersion;
  /** The cluster is suspended (no nodes): Helm does not wait for the controller's pods. @default false */
  readonly suspended?: boolean;
  /**
   * Image repository of the controller.
   * @default - the regional copy in Amazon's EKS ECR account, reachable through the ECR endpoints
   */
  readonly imageRepository?: string;
}

const NAMESPACE = 'kube-system';
const SERVICE_ACCOUNT = 'aws-load-balancer-controller';

/**
 * The AWS Load Balancer Controller, which turns the query Ingress into an internal ALB. Installed
 * here rather than with the eks-v2 `albController` option so that it authenticates with EKS Pod
 * Identity (no IAM OIDC provider, no CfnJson custom resource) and its policy is a managed policy.
 */
export class LoadBalancerController extends Construct {
  readonly role: iam.Role;
  readonly chart: eks.HelmChart;
  readonly association: eks.CfnPodIdentityAssociation;

  constructor(scope: Construct, id: string, props: LoadBalancerControllerProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const version = props.version ?? eks.AlbControllerVersion.V3_2_2;

    const document = controllerPolicy(this, version.version);
    const policy = new iam.ManagedPolicy(this, 'Policy', {
      description: `AWS Load Balancer Controller ${version.version} of ${props.clusterName}`,
      document: iam.PolicyDocument.fromJson(document),
    });
    // The controller creates load balancers, target groups and security groups at run time, so their
    // ARNs cannot be known here; the upstream policy scopes mutations with elbv2.k8s.aws/cluster tag conditions.
    acknowledgeFindings(
      policy,
      Object.fromEntries(
        wildcardResources(document).map((resource) => [
          `AwsSolutions-IAM5[Resource::${resource.replace(Aws.PARTITION, '<AWS::Partition>')}]`,
          'AWS Load Balancer Controller policy as published upstream: resources are created at run time; mutations are conditioned on the elbv2.k8s.aws/cluster tag',
        ]),
      ),
    );
    this.role = new PodIdentityRole(this, 'Role', {
      description: `AWS Load Balancer Controller of ${props.clusterName}`,
      clusterName: props.clusterName,
      namespace: NAMESPACE,
      serviceAccount: SERVICE_ACCOUNT,
    });
    this.role.addManagedPolicy(policy);
    this.association = new eks.CfnPodIdentityAssociation(this, 'PodIdentityAssociation', {
      clusterName: props.cluster.clusterName,
      namespace: NAMESPACE,
      serviceAccount: SERVICE_ACCOUNT,
      roleArn: this.role.roleArn,
    });

    this.chart = new eks.HelmChart(this, 'Chart', {
      cluster: props.cluster,
      chart: 'aws-load-balancer-controller',
      repository: 'https://aws.github.io/eks-charts',
      version: version.helmChartVersion,
      release: 'aws-load-balancer-controller',
      namespace: NAMESPACE,
      wait: !props.suspended,
      timeout: Duration.minutes(15),
      values: {
        clusterName: props.clusterName,
        region: stack.region,
        vpcId: props.cluster.vpc.vpcId,
        serviceAccount: { create: true, name: SERVICE_ACCOUNT },
        image: {
          repository:
            props.imageRepository ?? `602401143452.dkr.ecr.${stack.region}.amazonaws.com/amazon/aws-load-balancer-controller`,
          tag: version.version,
        },
        // The query endpoint uses neither WAF nor Shield; without these the controller needs no such endpoints.
        enableShield: false,
        enableWaf: false,
        enableWafv2: false,
      },
    });
    this.chart.node.addDependency(this.association);
  }
}

/** The parts of an IAM policy document read here. */
interface PolicyJson {
  readonly Statement: Array<{ Resource?: string | string[] }>;
}

/** The controller's IAM policy for a version, as aws-cdk-lib ships it for its own `albController` option. */
function controllerPolicy(scope: Construct, version: string): PolicyJson {
  const file = join(dirname(require.resolve('aws-cdk-lib/aws-eks-v2')), 'lib', 'addons', `alb-iam_policy-${version}.json`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ValidationError(
      lit`NoLoadBalancerControllerPolicy`,
      `aws-cdk-lib ships no IAM policy for AWS Load Balancer Controller ${version} (looked for ${file})`,
      scope,
    );
  }
  return JSON.parse(text.replace(/arn:aws:/g, `arn:${Aws.PARTITION}:`)) as PolicyJson;
}

function wildcardResources(document: PolicyJson): string[] {
  const resources = document.Statement.flatMap((statement) => [statement.Resource ?? []].flat());
  return [...new Set(resources.filter((resource) => resource.includes('*')))];
}
