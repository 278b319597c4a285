import { Stack, ValidationError } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeFindings } from '../compliance/compliance';
import { lit } from '../compliance/error-code';
import { restrictDefaultSecurityGroupProvider } from './aws-cdk-lib-internals';

export interface TenantNetworkProps {
  /** The VPC's IPv4 CIDR, a /16 to /24 network from the TenantSpec. */
  readonly cidr: string;
  /**
   * NAT gateways: 0 keeps the node subnets isolated (interface endpoints carry every AWS call),
   * 1 gives them one shared NAT gateway for egress to the internet (chart and image registries).
   */
  readonly natGateways: 0 | 1;
  /** Exactly the availability zones to use (at least two); fixed so that synth needs no lookup. */
  readonly availabilityZones: string[];
  /** Destination of the VPC flow logs (all traffic). */
  readonly flowLogGroup: logs.ILogGroup;
  /** Log group of the custom resource that empties the default security group. */
  readonly functionLogGroup: logs.ILogGroup;
}

/** AWS services the nodes, pods and the kubectl handler call, through interface endpoints in every case. */
const CORE_ENDPOINTS = {
  EcrApi: ec2.InterfaceVpcEndpointAwsService.ECR,
  EcrDocker: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
  Sts: ec2.InterfaceVpcEndpointAwsService.STS,
  Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
};

/** The rest of what a cluster without a route to the internet needs (EKS private cluster requirements). */
const ISOLATED_ENDPOINTS = {
  Eks: ec2.InterfaceVpcEndpointAwsService.EKS,
  EksAuth: ec2.InterfaceVpcEndpointAwsService.EKS_AUTH, // EKS Pod Identity
  Ec2: ec2.InterfaceVpcEndpointAwsService.EC2, // VPC CNI
  ElasticLoadBalancing: ec2.InterfaceVpcEndpointAwsService.ELASTIC_LOAD_BALANCING, // AWS Load Balancer Controller
  Monitoring: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING, // Container Insights
  SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER, // ingest token
  Glue: ec2.InterfaceVpcEndpointAwsService.GLUE, // datasource metastores
  Lambda: ec2.InterfaceVpcEndpointAwsService.LAMBDA, // the kubectl provider's framework invokes its handler
};

/**
 * The tenant's dedicated VPC: node subnets in two AZs (isolated without NAT, private with one NAT),
 * flow logs, VPC endpoints, no peering, and a default security group without rules.
 */
export class TenantNetwork extends Construct {
  readonly vpc: ec2.Vpc;
  /** Where nodes, the EKS control plane ENIs, endpoints and the kubectl handler live. */
  readonly nodeSubnets: ec2.SubnetSelection;
  readonly isolated: boolean;
  readonly interfaceEndpoints: Record<string, ec2.InterfaceVpcEndpoint> = {};
  readonly endpointSecurityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: TenantNetworkProps) {
    super(scope, id);
    if (props.availabilityZones.length < 2) {
      throw new ValidationError(lit`TooFewAvailabilityZones`, 'TenantNetwork needs at least two availability zones', this);
    }
    this.isolated = props.natGateways === 0;
    const prefix = Number(props.cidr.split('/')[1]);
    const nodeSubnetType = this.isolated ? ec2.SubnetType.PRIVATE_ISOLATED : ec2.SubnetType.PRIVATE_WITH_EGRESS;
    // A quarter of the VPC per AZ for nodes (pods take VPC addresses); one /28 per AZ for the NAT gateway.
    const subnetConfiguration: ec2.SubnetConfiguration[] = [{ name: 'nodes', subnetType: nodeSubnetType, cidrMask: prefix + 2 }];
    if (!this.isolated) {
      subnetConfiguration.push({ name: 'egress', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 28, mapPublicIpOnLaunch: false });
    }

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr),
      availabilityZones: props.availabilityZones,
      natGateways: props.natGateways,
      createInternetGateway: !this.isolated,
      subnetConfiguration,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      restrictDefaultSecurityGroup: true,
      flowLogs: {
        all: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(props.flowLogGroup, this.flowLogRole(props.flowLogGroup)),
          trafficType: ec2.FlowLogTrafficType.ALL,
        },
      },
    });
    this.nodeSubnets = { subnetType: nodeSubnetType };
    const defaultRouteToIgw =
      'Only the NAT gateway lives in this subnet and it needs the route to the internet gateway; nodes route to the NAT, ' +
      'and nothing here accepts inbound connections (no public IPs on launch)';
    for (const subnet of this.vpc.publicSubnets) {
      acknowledgeFindings(subnet, {
        'NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW': defaultRouteToIgw,
        'HIPAA.Security-VPCNoUnrestrictedRouteToIGW': defaultRouteToIgw,
      });
    }
    // The custom resource behind restrictDefaultSecurityGroup logs to the tenant's log group, deleted with the stack.
    const restrictDefaultSg = restrictDefaultSecurityGroupProvider(this.vpc);
    restrictDefaultSg.handler.addPropertyOverride('LoggingConfig.LogGroup', props.functionLogGroup.logGroupName);
    acknowledgeFindings(restrictDefaultSg.provider, {
      'cfn-guard:lambda_inside_vpc_check':
        "aws-cdk-lib's singleton provider behind restrictDefaultSecurityGroup; it runs once per deployment and must reach the EC2 API before the VPC it changes has any route or endpoint",
    });

    this.vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3, subnets: [this.nodeSubnets] });
    // One security group for all interface endpoints: HTTPS from the VPC's own CIDR (a literal, not
    // a reference, so that the compliance rules can check it) and no egress.
    this.endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: this.vpc,
      description: 'Interface VPC endpoints: HTTPS from the tenant VPC',
      allowAllOutbound: false,
    });
    this.endpointSecurityGroup.addIngressRule(ec2.Peer.ipv4(props.cidr), ec2.Port.tcp(443), 'HTTPS from the tenant VPC');
    const endpoints = this.isolated ? { ...CORE_ENDPOINTS, ...ISOLATED_ENDPOINTS } : CORE_ENDPOINTS;
    for (const [name, service] of Object.entries(endpoints)) {
      this.interfaceEndpoints[name] = this.vpc.addInterfaceEndpoint(name, {
        service,
        subnets: this.nodeSubnets,
        privateDnsEnabled: true,
        securityGroups: [this.endpointSecurityGroup],
        open: false,
      });
    }
  }

  /** The flow logs' role, with a managed policy for this one log group (the default role's grant is inline). */
  private flowLogRole(logGroup: logs.ILogGroup): iam.IRole {
    const role = new iam.Role(this, 'FlowLogRole', {
      description: 'VPC flow logs to the tenant log group',
      assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
      }),
      managedPolicies: [
        new iam.ManagedPolicy(this, 'FlowLogPolicy', {
          statements: [
            new iam.PolicyStatement({
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
              resources: [logGroup.logGroupArn],
            }),
          ],
        }),
      ],
    });
    // Imported as immutable so that FlowLog adds no inline grant of its own.
    return iam.Role.fromRoleArn(this, 'FlowLogRoleRef', role.roleArn, { mutable: false });
  }
}
