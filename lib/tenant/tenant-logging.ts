import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { TenantKey } from './tenant-key';

export interface TenantLoggingProps {
  /** Name of the tenant's EKS cluster; EKS and Container Insights derive their log group names from it. */
  readonly clusterName: string;
  /**
   * How long logs are kept.
   * @default RetentionDays.ONE_YEAR
   */
  readonly retention?: logs.RetentionDays;
}

/** Container Insights log groups the CloudWatch Observability add-on writes to. */
export const CONTAINER_INSIGHTS_STREAMS = ['application', 'dataplane', 'host', 'performance'] as const;

/**
 * Every log group of a tenant, created before the services that write to them so that all are
 * encrypted with the tenant's log key and expire: VPC flow logs, the EKS control plane log group,
 * and the Container Insights groups (container logs and CPU/memory performance events).
 *
 * Deletion is a deliberate choice: the log groups and the key go with the stack, so a deleted
 * cluster leaves nothing billable behind (the key waits out its 30-day deletion window, unbilled).
 * Query history and audit live in the control plane, not here.
 */
export class TenantLogging extends Construct {
  readonly key: TenantKey;
  readonly flowLogs: logs.LogGroup;
  /** The kubectl provider's functions and the default security group's custom resource. */
  readonly deploymentFunctions: logs.LogGroup;
  readonly controlPlane: logs.LogGroup;
  readonly containerInsights: Record<(typeof CONTAINER_INSIGHTS_STREAMS)[number], logs.LogGroup>;
  /** ARN pattern covering the Container Insights log groups and their streams. */
  readonly containerInsightsArn: string;

  constructor(scope: Construct, id: string, props: TenantLoggingProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const retention = props.retention ?? logs.RetentionDays.ONE_YEAR;

    this.key = new TenantKey(this, 'Key', { description: `Encrypts the log groups of ${props.clusterName}` });
    // CloudWatch Logs uses the key on behalf of this account's log groups only.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey', 'kms:DescribeKey'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*`,
          },
        },
      }),
    );

    const logGroup = (id: string, logGroupName?: string) =>
      new logs.LogGroup(this, id, {
        logGroupName,
        encryptionKey: this.key,
        retention,
        removalPolicy: RemovalPolicy.DESTROY,
      });

    this.flowLogs = logGroup('FlowLogs');
    this.deploymentFunctions = logGroup('DeploymentFunctions');
    this.controlPlane = logGroup('ControlPlane', `/aws/eks/${props.clusterName}/cluster`);
    const insightsPrefix = `/aws/containerinsights/${props.clusterName}`;
    this.containerInsights = Object.fromEntries(
      CONTAINER_INSIGHTS_STREAMS.map((name) => [name, logGroup(`ContainerInsights-${name}`, `${insightsPrefix}/${name}`)]),
    ) as TenantLogging['containerInsights'];
    this.containerInsightsArn = `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:${insightsPrefix}/*`;
  }
}
