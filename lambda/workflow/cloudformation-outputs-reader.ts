import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { PlatformConfig } from '../../lib/config/platform-config';
import { awsPartition, tenantClusterName, tenantStackName } from '../../lib/contract/tenant-spec';
import { TENANT_READER_ROLE_NAME } from '../../lib/contract/workflow';
import type { TenantOutputs, TenantOutputsReader } from './ports';
import { PermanentError, TransientError } from './workflow-errors';

/**
 * Reads a deployed TenantStack's outputs (CloudFormation) and confirms its EKS cluster is ACTIVE,
 * in the environment's account through its read-only role.
 */
export class CloudFormationOutputsReader implements TenantOutputsReader {
  constructor(
    private readonly config: PlatformConfig,
    private readonly sts = new STSClient({}),
  ) {}

  async read(spec: { clusterId: string; environment: keyof PlatformConfig['environments'] }): Promise<TenantOutputs> {
    const environment = this.config.environments[spec.environment];
    if (!environment) throw new PermanentError(`Environment ${spec.environment} is not configured`);
    const { Credentials } = await this.sts.send(
      new AssumeRoleCommand({ RoleArn: `arn:${awsPartition(environment.region)}:iam::${environment.account}:role/${TENANT_READER_ROLE_NAME}`, RoleSessionName: `sici-register-${spec.clusterId}` }),
    );
    const credentials = {
      accessKeyId: Credentials!.AccessKeyId!,
      secretAccessKey: Credentials!.SecretAccessKey!,
      sessionToken: Credentials!.SessionToken!,
    };
    const cloudFormation = new CloudFormationClient({ region: environment.region, credentials });
    const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: tenantStackName(spec.clusterId) }));
    const outputs = new Map((Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
    const queryEndpoint = outputs.get('QueryEndpoint');
    if (!queryEndpoint) throw new PermanentError(`${tenantStackName(spec.clusterId)} has no QueryEndpoint output`);
    const eks = new EKSClient({ region: environment.region, credentials });
    const { cluster } = await eks.send(new DescribeClusterCommand({ name: tenantClusterName(spec.clusterId) }));
    if (cluster?.status !== 'ACTIVE') throw new TransientError(`EKS cluster ${tenantClusterName(spec.clusterId)} is ${cluster?.status}`);
    return { queryEndpoint, vpcId: outputs.get('VpcId'), eksClusterArn: cluster.arn ?? outputs.get('ClusterArn'), starburstRoleArn: outputs.get('StarburstRoleArn') };
  }
}
