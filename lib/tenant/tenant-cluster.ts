import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { Annotations, ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct, IDependable } from 'constructs';
import type { TierConfig } from '../config/platform-config';
import { acknowledgeFindings } from '../compliance/compliance';
import { kubectlProviderInternals, KubectlProviderInternals } from './aws-cdk-lib-internals';
import { LoadBalancerController } from './load-balancer-controller';
import { PodIdentityRole } from './pod-identity-role';
import { NODE_ROLE_LABEL } from './engine-names';
import type { TenantLogging } from './tenant-logging';
import type { TenantNetwork } from './tenant-network';

/** The Kubernetes version of every tenant cluster; the kubectl layer below must match it (one minor either way). */
const KUBERNETES_VERSION = eks.KubernetesVersion.V1_35;

export interface TenantClusterProps {
  /** The EKS cluster name; it follows from the cluster id. */
  readonly clusterName: string;
  readonly network: TenantNetwork;
  /** Node sizes and worker count of the tenant's tier. */
  readonly tier: TierConfig;
  /** Platform break-glass role: the only human principal with an access entry. */
  readonly breakGlassRoleArn: string;
  /** Envelope encryption key of Kubernetes secrets. */
  readonly secretsKey: kms.IKey;
  readonly logging: TenantLogging;
  /**
   * Repository of the engine's chart; when it is an ECR OCI repository, the deployer may pull from it.
   * @default - an https chart repository (no ECR permission)
   */
  readonly engineChartRepository?: string;
  /**
   * Root volume of every node (images, logs, Trino scratch space).
   * @default 100
   */
  readonly nodeVolumeSizeGiB?: number;
  /**
   * The cluster is suspended: its node groups are deployed at zero (EKS keeps a maximum of at least
   * one) and nothing waits for pods to run on them.
   * @default false
   */
  readonly suspended?: boolean;
}

const ALL_CONTROL_PLANE_LOGS = [
  eks.ClusterLoggingTypes.API,
  eks.ClusterLoggingTypes.AUDIT,
  eks.ClusterLoggingTypes.AUTHENTICATOR,
  eks.ClusterLoggingTypes.CONTROLLER_MANAGER,
  eks.ClusterLoggingTypes.SCHEDULER,
];

/** The AL2023 AMI for the instance type's architecture (arm64 for Graviton), as aws-cdk-lib knows it. */
export function amiTypeFor(instanceType: string): eks.NodegroupAmiType {
  return new ec2.InstanceType(instanceType).architecture === ec2.InstanceArchitecture.ARM_64
    ? eks.NodegroupAmiType.AL2023_ARM_64_STANDARD
    : eks.NodegroupAmiType.AL2023_X86_64_STANDARD;
}

/**
 * The tenant's EKS cluster: private API endpoint only, access entries only (the deployer, i.e. the
 * kubectl handler, and the platform break-glass role; never a team principal), envelope encryption
 * of secrets, all control plane logs, managed node groups for the coordinator and the workers
 * sized by tier (IMDSv2 only, no SSH key, encrypted root volumes), the EKS add-ons the data plane
 * relies on, and the AWS Load Balancer Controller.
 */
export class TenantCluster extends Construct {
  readonly cluster: eks.Cluster;
  /** Role of the kubectl handler that applies manifests and Helm charts: the deployer's access entry. */
  readonly deployerRole: iam.Role;
  readonly nodeRole: iam.Role;
  readonly launchTemplate: ec2.LaunchTemplate;
  readonly coordinatorNodes: eks.Nodegroup;
  readonly workerNodes: eks.Nodegroup;
  readonly addons: Record<string, eks.CfnAddon> = {};
  readonly loadBalancerController: LoadBalancerController;
  /** Everything the engine's pods need before they can start: nodes, DNS, the CSI driver, the load balancer controller. */
  readonly workloadReady: IDependable[];

  constructor(scope: Construct, id: string, props: TenantClusterProps) {
    super(scope, id);
    const { network, tier } = props;

    this.deployerRole = this.createDeployerRole(props);

    // The API endpoint admits the kubectl handler only (nodes reach it through the EKS cluster security group).
    const controlPlaneSecurityGroup = new ec2.SecurityGroup(this, 'ControlPlaneSecurityGroup', {
      vpc: network.vpc,
      description: `Additional security group of the ${props.clusterName} API endpoint`,
      allowAllOutbound: true,
    });
    const kubectlSecurityGroup = new ec2.SecurityGroup(this, 'KubectlSecurityGroup', {
      vpc: network.vpc,
      description: `kubectl handler of ${props.clusterName}`,
      allowAllOutbound: true,
    });
    controlPlaneSecurityGroup.addIngressRule(kubectlSecurityGroup, ec2.Port.tcp(443), 'kubectl handler to the Kubernetes API');

    this.cluster = new eks.Cluster(this, 'Cluster', {
      clusterName: props.clusterName,
      version: KUBERNETES_VERSION,
      vpc: network.vpc,
      vpcSubnets: [network.nodeSubnets],
      securityGroup: controlPlaneSecurityGroup,
      endpointAccess: eks.EndpointAccess.PRIVATE,
      defaultCapacityType: eks.DefaultCapacityType.NODEGROUP,
      defaultCapacity: 0,
      bootstrapClusterCreatorAdminPermissions: false,
      // The add-ons below are EKS-managed instead, with Pod Identity where they call AWS.
      bootstrapSelfManagedAddons: false,
      secretsEncryptionKey: props.secretsKey,
      clusterLogging: ALL_CONTROL_PLANE_LOGS,
      kubectlProviderOptions: {
        kubectlLayer: new KubectlV35Layer(this, 'KubectlLayer'),
        // Imported as immutable so that the provider cannot attach its broader defaults (ECR read,
        // an inline policy); the role carries exactly the managed policies of createDeployerRole.
        role: iam.Role.fromRoleArn(this, 'DeployerRoleForKubectl', this.deployerRole.roleArn, { mutable: false }),
        securityGroups: [kubectlSecurityGroup],
      },
    });
    // EKS would otherwise create its log group itself, unencrypted and kept forever.
    this.cluster.node.addDependency(props.logging.controlPlane);
    Annotations.of(this.cluster).acknowledgeWarning(
      '@aws-cdk/aws-eks:isolatedSubnetsForKubectlPrivateSubnets',
      'TenantNetwork adds the interface endpoints of an EKS private cluster (STS, EKS, ECR, S3, Lambda, ...) whenever its subnets are isolated',
    );
    Validations.of(this.cluster.node.defaultChild!).acknowledge({
      id: 'CloudFormation-Validate::W9009',
      reason: "aws-eks-v2 writes EncryptionConfig Resources: ['secrets'], the only value EKS accepts; left as the library sets it",
    });
    this.cluster.grantClusterAdmin('BreakGlassAccess', props.breakGlassRoleArn);
    const kubectl = kubectlProviderInternals(this.cluster);
    this.routeFunctionLogs(kubectl, props.logging);
    this.acknowledgeKubectlProvider(kubectl);
    // The provider attaches ECR Public read to its role under this condition; the role is immutable, which leaves it unused.
    const { node: condition } = kubectl.ecrPublicCondition;
    condition.scope?.node.tryRemoveChild(condition.id);
    acknowledgeFindings(this.cluster.role, {
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEKSClusterPolicy]':
        'The EKS service role policy that AWS maintains for the control plane; EKS requires it',
    });

    this.nodeRole = new iam.Role(this, 'NodeRole', {
      description: `Nodes of ${props.clusterName}: join the cluster and pull images; pods get their own roles`,
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonEKSWorkerNodePolicy'),
        iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonEC2ContainerRegistryPullOnly'),
      ],
    });
    acknowledgeFindings(this.nodeRole, {
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEKSWorkerNodePolicy]':
        'The AWS-maintained minimum for a node to join an EKS cluster (describe cluster and instances)',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly]':
        'Image pull only (no listing, no push); AWS maintains it for EKS nodes. CNI permissions are not on the node role (Pod Identity)',
    });

    this.launchTemplate = new ec2.LaunchTemplate(this, 'NodeLaunchTemplate', {
      requireImdsv2: true,
      // One hop: pods (outside the host network) cannot reach instance metadata and the node role.
      httpPutResponseHopLimit: 1,
      detailedMonitoring: true,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(props.nodeVolumeSizeGiB ?? 100, {
            encrypted: true,
            volumeType: ec2.EbsDeviceVolumeType.GP3,
            deleteOnTermination: true,
          }),
        },
      ],
    });

    const nodegroup = (id: string, role: 'coordinator' | 'worker', instanceType: string, count: number) =>
      this.cluster.addNodegroupCapacity(id, {
        instanceTypes: [new ec2.InstanceType(instanceType)],
        amiType: amiTypeFor(instanceType),
        minSize: props.suspended ? 0 : count,
        desiredSize: props.suspended ? 0 : count,
        maxSize: count,
        capacityType: eks.CapacityType.ON_DEMAND,
        nodeRole: this.nodeRole,
        subnets: network.nodeSubnets,
        launchTemplateSpec: {
          id: this.launchTemplate.launchTemplateId!,
          version: this.launchTemplate.latestVersionNumber,
        },
        labels: { [NODE_ROLE_LABEL]: role },
        enableNodeAutoRepair: true,
      });
    this.coordinatorNodes = nodegroup('Coordinator', 'coordinator', tier.coordinator.instanceType, 1);
    this.workerNodes = nodegroup('Workers', 'worker', tier.worker.instanceType, tier.worker.count);
    const nodes = [this.coordinatorNodes, this.workerNodes];

    // Networking and Pod Identity must be in place before nodes join; the rest needs nodes to run on.
    const cniRole = new PodIdentityRole(this, 'VpcCniRole', {
      description: `VPC CNI of ${props.clusterName}`,
      clusterName: props.clusterName,
      namespace: 'kube-system',
      serviceAccount: 'aws-node',
    });
    cniRole.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonEKS_CNI_Policy'));
    acknowledgeFindings(cniRole, {
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEKS_CNI_Policy]':
        'The VPC CNI manages ENIs and IPs of this VPC; AWS maintains the policy in step with the CNI. Bound to kube-system/aws-node of this cluster by Pod Identity',
    });
    const beforeNodes = [
      this.addon('eks-pod-identity-agent'),
      this.addon('vpc-cni', { podIdentity: { serviceAccount: 'aws-node', role: cniRole } }),
      this.addon('kube-proxy'),
    ];
    for (const group of nodes) group.node.addDependency(...beforeNodes);
    this.addons['vpc-cni'].node.addDependency(this.addons['eks-pod-identity-agent']);

    const observabilityRole = this.containerInsightsRole(props);
    const afterNodes = [
      this.addon('coredns'),
      this.addon('amazon-cloudwatch-observability', {
        podIdentity: { serviceAccount: 'cloudwatch-agent', role: observabilityRole },
      }),
      // Installs the Secrets Store CSI driver with the AWS provider; syncing lets pods read the ingest token as an env var.
      this.addon('aws-secrets-store-csi-driver-provider', {
        configurationValues: { 'secrets-store-csi-driver': { syncSecret: { enabled: true } } },
      }),
    ];
    for (const addon of afterNodes) addon.node.addDependency(...nodes);
    this.addons['amazon-cloudwatch-observability'].node.addDependency(...Object.values(props.logging.containerInsights));

    this.loadBalancerController = new LoadBalancerController(this, 'LoadBalancerController', {
      cluster: this.cluster,
      clusterName: props.clusterName,
      suspended: props.suspended,
    });
    this.loadBalancerController.node.addDependency(...nodes, this.addons.coredns);
    this.workloadReady = [...nodes, ...afterNodes, this.loadBalancerController];
  }

  /** The kubectl handler's role: reach the VPC, describe this one cluster, and pull the engine chart if it lives in ECR. */
  private createDeployerRole(props: TenantClusterProps): iam.Role {
    const stack = Stack.of(this);
    const clusterArn = stack.formatArn({ service: 'eks', resource: 'cluster', resourceName: props.clusterName });
    const statements = [
      new iam.PolicyStatement({ sid: 'DescribeThisCluster', actions: ['eks:DescribeCluster'], resources: [clusterArn] }),
    ];
    const ecrChart = /^oci:\/\/(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com\/(.+)$/.exec(props.engineChartRepository ?? '');
    if (ecrChart) {
      const [, account, region, repository] = ecrChart;
      statements.push(
        new iam.PolicyStatement({ sid: 'EcrLogin', actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
        new iam.PolicyStatement({
          sid: 'PullEngineChart',
          actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
          resources: [`arn:${stack.partition}:ecr:${region}:${account}:repository/${repository}*`],
        }),
      );
    }
    const role = new iam.Role(this, 'DeployerRole', {
      description: `kubectl handler of ${props.clusterName}: applies the tenant's manifests and Helm charts`,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole'),
        new iam.ManagedPolicy(this, 'DeployerPolicy', { statements }),
      ],
    });
    acknowledgeFindings(role, {
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]':
        'ENI management and logging of a Lambda function in a VPC, as AWS maintains it; ENI ids do not exist before the function runs',
    });
    if (ecrChart) {
      acknowledgeFindings(role, {
        'AwsSolutions-IAM5[Resource::*]': 'ecr:GetAuthorizationToken has no resource; image reads are scoped to the chart repository',
      });
    }
    return role;
  }

  /**
   * The kubectl provider's two functions and the provider framework's role are aws-cdk-lib's own;
   * what they cannot be configured to fix is acknowledged here, precisely.
   */
  private acknowledgeKubectlProvider({ handler, frameworkOnEvent: onEvent }: KubectlProviderInternals): void {
    const handlerLogicalId = Stack.of(this).resolve((handler.node.defaultChild as lambda.CfnFunction).logicalId) as string;
    const concurrencyAndDlq = {
      'NIST.800.53.R5-LambdaConcurrency':
        'Invoked only by CloudFormation custom resources of this stack; reserving concurrency per tenant stack would drain the account pool shared by all tenants',
      'HIPAA.Security-LambdaConcurrency':
        'Invoked only by CloudFormation custom resources of this stack; reserving concurrency per tenant stack would drain the account pool shared by all tenants',
      'NIST.800.53.R5-LambdaDLQ':
        'Invoked synchronously (custom resource provider framework); failures surface as CloudFormation events, a dead-letter queue never receives them',
      'HIPAA.Security-LambdaDLQ':
        'Invoked synchronously (custom resource provider framework); failures surface as CloudFormation events, a dead-letter queue never receives them',
    };
    acknowledgeFindings(handler, {
      ...concurrencyAndDlq,
      'AwsSolutions-L1':
        'aws-cdk-lib picks the Python runtime of the kubectl handler to match its bundled kubectl, helm and AWS CLI layers',
    });
    acknowledgeFindings(onEvent, {
      ...concurrencyAndDlq,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]':
        'Provider framework function of aws-cdk-lib: log writing only, as AWS maintains it',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]':
        'Provider framework function of aws-cdk-lib runs in the tenant VPC: ENI management as AWS maintains it',
      [`AwsSolutions-IAM5[Resource::<${handlerLogicalId}.Arn>:*]`]:
        'Invokes the kubectl handler function and its versions only',
      'NIST.800.53.R5-IAMNoInlinePolicy':
        "The provider framework of aws-cdk-lib attaches its lambda:InvokeFunction grant inline; it is scoped to the kubectl handler",
      'HIPAA.Security-IAMNoInlinePolicy':
        "The provider framework of aws-cdk-lib attaches its lambda:InvokeFunction grant inline; it is scoped to the kubectl handler",
    });
  }

  /**
   * Sends the logs of the kubectl provider's functions to the tenant's encrypted log group, which
   * is deleted with the stack, instead of log groups Lambda would create and leave behind.
   */
  private routeFunctionLogs({ handler, frameworkOnEvent }: KubectlProviderInternals, logging: TenantLogging): void {
    for (const fn of [handler, frameworkOnEvent]) {
      (fn.node.defaultChild as lambda.CfnFunction).loggingConfig = { logGroup: logging.deploymentFunctions.logGroupName };
    }
  }

  private addon(
    name: string,
    options: {
      podIdentity?: { serviceAccount: string; role: iam.IRole };
      configurationValues?: Record<string, unknown>;
    } = {},
  ): eks.CfnAddon {
    const id = name.replace(/(^|-)([a-z])/g, (_m, _dash, c: string) => c.toUpperCase());
    const addon = new eks.CfnAddon(this, `${id}Addon`, {
      clusterName: this.cluster.clusterName,
      addonName: name,
      // The default version for the cluster's Kubernetes version, chosen by EKS at creation.
      resolveConflicts: 'OVERWRITE',
      preserveOnDelete: false,
      configurationValues: options.configurationValues ? JSON.stringify(options.configurationValues) : undefined,
      podIdentityAssociations: options.podIdentity
        ? [{ serviceAccount: options.podIdentity.serviceAccount, roleArn: options.podIdentity.role.roleArn }]
        : undefined,
    });
    this.addons[name] = addon;
    return addon;
  }

  /** The CloudWatch agent and Fluent Bit: metrics and logs to this cluster's own Container Insights log groups. */
  private containerInsightsRole(props: TenantClusterProps): iam.Role {
    const stack = Stack.of(this);
    const groups = Object.values(props.logging.containerInsights);
    const policy = new iam.ManagedPolicy(this, 'ContainerInsightsPolicy', {
      description: `CloudWatch agent and Fluent Bit of ${props.clusterName}`,
      statements: [
        new iam.PolicyStatement({
          sid: 'WriteContainerInsightsLogs',
          actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
          resources: groups.flatMap((group) => [
            group.logGroupArn,
            stack.formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: group.logGroupName,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ]),
        }),
        new iam.PolicyStatement({ sid: 'DescribeLogGroups', actions: ['logs:DescribeLogGroups'], resources: ['*'] }),
        new iam.PolicyStatement({
          sid: 'PutContainerInsightsMetrics',
          actions: ['cloudwatch:PutMetricData'],
          resources: ['*'],
          conditions: { StringEquals: { 'cloudwatch:namespace': 'ContainerInsights' } },
        }),
        new iam.PolicyStatement({
          sid: 'DescribeNodes',
          actions: ['ec2:DescribeInstances', 'ec2:DescribeTags', 'ec2:DescribeVolumes'],
          resources: ['*'],
        }),
      ],
    });
    acknowledgeFindings(policy, {
      'AwsSolutions-IAM5[Resource::*]':
        'logs:DescribeLogGroups and ec2:Describe* are list/describe calls that IAM does not scope by resource; cloudwatch:PutMetricData is limited to the ContainerInsights namespace by condition',
    });
    const role = new PodIdentityRole(this, 'ContainerInsightsRole', {
      description: `CloudWatch agent and Fluent Bit of ${props.clusterName}`,
      clusterName: props.clusterName,
      namespace: 'amazon-cloudwatch',
      serviceAccount: 'cloudwatch-agent',
    });
    role.addManagedPolicy(policy);
    return role;
  }
}
