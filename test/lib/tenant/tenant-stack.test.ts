import { Errors, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { CloudAssembly, SynthesisMessageLevel } from 'aws-cdk-lib/cx-api';
import { PlatformConfig } from '../../../lib/config/platform-config';
import { starburstRoleName, tenantStackName, TenantSpec } from '../../../lib/contract/tenant-spec';
import { amiTypeFor } from '../../../lib/tenant/tenant-cluster';
import { TenantNetwork } from '../../../lib/tenant/tenant-network';
import { TenantStack } from '../../../lib/tenant/tenant-stack';
import { cdkApp } from '../../support/cdk-app';
import { FixtureName, fixtureSpec, platformConfig, tenantInputs, TenantVariant, TRINO_ENGINE } from '../../support/fixtures';
import { Json, Match, Template, TemplateJson } from '../../support/template';

interface Synthesized {
  spec: TenantSpec;
  config: PlatformConfig;
  stack: TenantStack;
  /** Assertions (`Template`) on the stack's template. */
  template: Template;
  json: Json;
  /** Walkers over the same template. */
  cfn: TemplateJson;
  assembly: CloudAssembly;
}

/** Synthesizes once per variant (each synth takes seconds); tests share the result. */
const cache = new Map<string, Synthesized>();
function synth(fixture: FixtureName, variant: TenantVariant = {}): Synthesized {
  const key = `${fixture}/${variant.nat ?? 0}/${variant.trino ?? false}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const { spec, config } = tenantInputs(fixture, variant);
  const app = cdkApp();
  const stack = new TenantStack(app, tenantStackName(spec.clusterId), { spec, config });
  const assembly = app.synth();
  const cfn = TemplateJson.fromStack(stack);
  const result = { spec, config, stack, template: cfn.template, json: cfn.json, cfn, assembly };
  cache.set(key, result);
  return result;
}

/** What `construct` throws (undefined if nothing). */
function thrownBy(construct: () => unknown): unknown {
  try {
    construct();
  } catch (error) {
    return error;
  }
  return undefined;
}

const ALL_FIXTURES: FixtureName[] = ['S', 'M1', 'M2', 'L'];

describe('TenantStack identity and environment', () => {
  test.each(ALL_FIXTURES)('%s: stack name, env and outputs follow from the spec', (fixture) => {
    const { spec, config, stack, template } = synth(fixture);
    const env = config.environments[spec.environment]!;
    expect(stack.stackName).toBe(`TenantStack-${spec.clusterId}`);
    expect(stack.account).toBe(env.account);
    expect(stack.region).toBe(env.region);
    for (const id of ['QueryEndpoint', 'QueryLoadBalancer', 'ClusterArn', 'StarburstRoleArn', 'VpcId']) {
      template.hasOutput(id, {});
    }
    template.hasOutput('QueryEndpoint', { Value: `https://${spec.queryEndpoint.hostname}` });
    template.hasOutput('ClusterArn', { Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EksCluster'), 'Arn'] } });
    template.hasOutput('VpcId', { Value: { Ref: Match.stringLikeRegexp('^NetworkVpc') } });
    template.hasOutput('StarburstRoleArn', { Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StarburstRole'), 'Arn'] } });
  });

  test.each(ALL_FIXTURES)('%s: synthesis makes no context lookup', (fixture) => {
    const { assembly } = synth(fixture);
    expect(assembly.manifest.missing ?? []).toEqual([]);
  });

  test('an environment missing from the platform config fails at synth, naming it', () => {
    const spec = fixtureSpec('L');
    const config = platformConfig((c) => {
      delete c.environments.prod;
    });
    expect(() => new TenantStack(cdkApp(), 'T', { spec, config })).toThrow(
      /c-l0000000000000d4 cannot be synthesized:\n {2}- environment "prod" is not configured in the platform config \(configured: dev, test\)/,
    );
  });

  test('a spec that does not fit the platform config is a ValidationError of the stack', () => {
    const config = platformConfig((c) => delete c.environments.prod);
    const error = thrownBy(() => new TenantStack(cdkApp(), 'T', { spec: fixtureSpec('L'), config }));
    expect(Errors.isValidationError(error)).toBe(true);
    expect(error).toMatchObject({ name: 'TenantSpecDoesNotFitPlatform', constructPath: 'T' });
  });

  test('a tier whose nodes cannot hold an engine pod is a ValidationError of the engine, naming tier and nodes', () => {
    const config = platformConfig((c) => {
      c.tiers.S.worker = { ...c.tiers.S.worker, vcpu: 2, memoryGiB: 4 };
    });
    const error = thrownBy(() => new TenantStack(cdkApp(), 'T', { spec: fixtureSpec('S'), config }));
    expect(Errors.isValidationError(error)).toBe(true);
    expect(error).toMatchObject({
      message: 'Tier S, worker nodes: A node of 2 vCPU and 4 GiB is too small for a Trino pod',
      constructPath: 'T/Engine',
    });
  });

  test('unapproved connectors, unreachable regions and a foreign certificate fail at synth with field paths', () => {
    const spec = fixtureSpec('M2', (doc) => {
      doc.datasources[1].region = 'eu-west-1';
      doc.queryEndpoint.certificateArn = doc.queryEndpoint.certificateArn.replace('111111111111', '222222222222');
    });
    const config = platformConfig((c) => {
      c.approvedConnectors = ['s3-iceberg'];
      c.network.natGateways = 0;
    });
    const message = (thrownBy(() => new TenantStack(cdkApp(), 'T', { spec, config })) as Error).message;
    expect(message).toMatch(/datasources\.0\.type: "s3-hive" is not an approved connector/);
    expect(message).toMatch(/datasources\.1\.region: eu-west-1 cannot be reached from a VPC without NAT in us-east-1/);
    expect(message).toMatch(/queryEndpoint\.certificateArn: the certificate must be in the environment's account 111111111111/);
  });

  test('without NAT, an https chart repository and the identity provider are flagged at synth (neither the kubectl handler nor the coordinator may reach them)', () => {
    const warnings = (fixture: FixtureName, nat: 0 | 1) =>
      synth(fixture, { nat, trino: nat === 1 })
        .assembly.getStackByName(`TenantStack-${synth(fixture, { nat, trino: nat === 1 }).spec.clusterId}`)
        .messages.filter((m) => m.level === SynthesisMessageLevel.WARNING)
        .map((m) => m.entry.data as string);
    expect(warnings('M2', 0)).toEqual([
      expect.stringMatching(/^Without a NAT gateway the kubectl handler cannot reach https:\/\/harbor/),
      expect.stringMatching(/^Without a NAT gateway the coordinator reaches the identity provider https:\/\/login\.example\.com\/oauth2\/default/),
    ]);
    expect(warnings('L', 1)).toEqual([]);
  });

  test('with a NAT gateway, datasources in other regions are allowed', () => {
    const spec = fixtureSpec('M1', (doc) => {
      doc.datasources[0].region = 'eu-west-1';
    });
    const config = platformConfig((c) => {
      c.network.natGateways = 1;
    });
    expect(() => new TenantStack(cdkApp(), 'T', { spec, config })).not.toThrow();
  });
});

describe('network', () => {
  test.each(ALL_FIXTURES)('%s: a dedicated VPC with the spec CIDR and node subnets in two AZs', (fixture) => {
    const { spec, template, cfn } = synth(fixture);
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.hasResourceProperties('AWS::EC2::VPC', {
      CidrBlock: spec.vpcCidr,
      EnableDnsHostnames: true,
      EnableDnsSupport: true,
    });
    const subnets = cfn.ofType('AWS::EC2::Subnet').map(([, r]) => r.Properties);
    expect(subnets).toHaveLength(2);
    const zones = subnets.map((s) => JSON.stringify(s.AvailabilityZone));
    expect(new Set(zones).size).toBe(2);
    expect(zones).toEqual([
      JSON.stringify({ 'Fn::Select': [0, { 'Fn::GetAZs': '' }] }),
      JSON.stringify({ 'Fn::Select': [1, { 'Fn::GetAZs': '' }] }),
    ]);
    for (const subnet of subnets) expect(subnet.MapPublicIpOnLaunch).toBe(false);
  });

  test('fewer than two availability zones is a ValidationError of the network', () => {
    const stack = new Stack(cdkApp(), 'OneZone');
    const logGroup = new logs.LogGroup(stack, 'Logs');
    const error = thrownBy(
      () =>
        new TenantNetwork(stack, 'Network', { cidr: '10.0.0.0/16', natGateways: 0, availabilityZones: ['us-east-1a'], flowLogGroup: logGroup, functionLogGroup: logGroup }),
    );
    expect(Errors.isValidationError(error)).toBe(true);
    expect(error).toMatchObject({ message: 'TenantNetwork needs at least two availability zones', constructPath: 'OneZone/Network' });
  });

  test('without NAT: no NAT gateway, no internet gateway, no route to the internet', () => {
    const { template, cfn } = synth('M2');
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    for (const [, route] of cfn.ofType('AWS::EC2::Route')) {
      expect(route.Properties.DestinationCidrBlock).not.toBe('0.0.0.0/0');
    }
  });

  test('with natGateways 1: exactly one NAT gateway, and node subnets route to it', () => {
    const { template, cfn } = synth('L', { nat: 1, trino: true });
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    const natRoutes = cfn.ofType('AWS::EC2::Route').filter(([, r]) => r.Properties.NatGatewayId);
    expect(natRoutes).toHaveLength(2);
    for (const [, route] of natRoutes) expect(route.Properties.DestinationCidrBlock).toBe('0.0.0.0/0');
    for (const [, subnet] of cfn.ofType('AWS::EC2::Subnet')) expect(subnet.Properties.MapPublicIpOnLaunch).toBe(false);
  });

  function endpointServices(cfn: TemplateJson): string[] {
    return cfn.ofType('AWS::EC2::VPCEndpoint').map(([, r]) => {
      const name = r.Properties.ServiceName;
      if (typeof name === 'string') return name;
      return (name['Fn::Join'][1] as Json[]).map((part) => (part?.Ref === 'AWS::Region' ? 'us-east-1' : part)).join('');
    });
  }

  test('VPC endpoints: S3 gateway, and every interface endpoint an isolated cluster needs', () => {
    const { cfn } = synth('M2');
    const services = endpointServices(cfn);
    for (const service of ['s3', 'ecr.api', 'ecr.dkr', 'sts', 'logs', 'eks', 'eks-auth', 'ec2', 'elasticloadbalancing', 'monitoring', 'secretsmanager', 'glue', 'lambda']) {
      expect(services).toContainEqual(expect.stringMatching(new RegExp(`^com\\.amazonaws\\.us-east-1\\.${service.replace('.', '\\.')}$`)));
    }
    const gateway = cfn.ofType('AWS::EC2::VPCEndpoint').filter(([, r]) => r.Properties.VpcEndpointType === 'Gateway');
    expect(gateway).toHaveLength(1);
  });

  test('with NAT, the core interface endpoints remain', () => {
    const services = endpointServices(synth('L', { nat: 1, trino: true }).cfn);
    expect(services.sort()).toEqual(
      ['s3', 'ecr.api', 'ecr.dkr', 'sts', 'logs'].map((s) => `com.amazonaws.us-east-1.${s}`).sort(),
    );
  });

  test.each([['M2'], ['L']] as const)('%s: no security group admits 0.0.0.0/0 or ::/0, and the default group is emptied', (fixture) => {
    const { template, cfn } = synth(fixture, fixture === 'L' ? { nat: 1, trino: true } : {});
    const ingress = [
      ...cfn.ofType('AWS::EC2::SecurityGroup').flatMap(([, r]) => r.Properties.SecurityGroupIngress ?? []),
      ...cfn.ofType('AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties),
    ];
    expect(ingress.length).toBeGreaterThan(0);
    for (const rule of ingress) {
      expect(rule.CidrIp).not.toBe('0.0.0.0/0');
      expect(rule.CidrIpv6).not.toBe('::/0');
    }
    template.resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
    template.resourceCountIs('AWS::EC2::VPCPeeringConnection', 0);
    template.resourceCountIs('AWS::EC2::TransitGatewayAttachment', 0);
  });

  test('interface endpoints admit HTTPS from the tenant CIDR only', () => {
    const { spec, template } = synth('M2');
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'Interface VPC endpoints: HTTPS from the tenant VPC',
      SecurityGroupIngress: [{ CidrIp: spec.vpcCidr, FromPort: 443, ToPort: 443, IpProtocol: 'tcp' }],
    });
  });

  test('flow logs of all traffic go to a KMS-encrypted log group', () => {
    const { json, template, cfn } = synth('M2');
    const [[, flowLog]] = cfn.ofType('AWS::EC2::FlowLog');
    expect(flowLog.Properties).toMatchObject({ TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs', ResourceType: 'VPC' });
    const logGroupRef = flowLog.Properties.LogGroupName.Ref;
    expect(json.Resources[logGroupRef].Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [expect.any(String), 'Arn'] });
    template.resourceCountIs('AWS::EC2::FlowLog', 1);
  });
});

describe('EKS cluster', () => {
  test.each(ALL_FIXTURES)('%s: private endpoint only, API access entries, secrets encryption, all control plane logs', (fixture) => {
    const { spec, template } = synth(fixture);
    template.resourceCountIs('AWS::EKS::Cluster', 1);
    template.hasResourceProperties('AWS::EKS::Cluster', {
      Name: `sici-${spec.clusterId}`,
      Version: '1.35',
      ResourcesVpcConfig: Match.objectLike({ EndpointPrivateAccess: true, EndpointPublicAccess: false }),
      AccessConfig: { AuthenticationMode: 'API', BootstrapClusterCreatorAdminPermissions: false },
      EncryptionConfig: [{ Provider: { KeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SecretsKey'), 'Arn'] } }, Resources: ['secrets'] }],
      Logging: {
        ClusterLogging: {
          EnabledTypes: [{ Type: 'api' }, { Type: 'audit' }, { Type: 'authenticator' }, { Type: 'controllerManager' }, { Type: 'scheduler' }],
        },
      },
    });
  });

  test('access entries: exactly the deployer (kubectl handler) and the platform break-glass role, as cluster admins', () => {
    const { config, cfn } = synth('M2');
    const entries = cfn.ofType('AWS::EKS::AccessEntry').map(([, r]) => r.Properties);
    expect(entries).toHaveLength(2);
    const principals = entries.map((e) => e.PrincipalArn);
    expect(principals).toContainEqual(config.access.breakGlassRoleArn);
    const [[deployerId]] = cfn.ofType('AWS::IAM::Role').filter(([id]) => id.startsWith('EksDeployerRole'));
    expect(principals).toContainEqual({ 'Fn::GetAtt': [deployerId, 'Arn'] });
    for (const entry of entries) {
      expect(entry.AccessPolicies).toEqual([
        {
          AccessScope: { Type: 'cluster' },
          PolicyArn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy']] },
        },
      ]);
    }
    // The deployer is the role the kubectl handler runs as.
    const handler = cfn.ofType('AWS::Lambda::Function').find(([id]) => id.startsWith('EksClusterKubectlProviderHandler'))!;
    expect(handler[1].Properties.Role).toEqual({ 'Fn::GetAtt': [deployerId, 'Arn'] });
    expect(handler[1].Properties.VpcConfig.SubnetIds).toHaveLength(2);
  });

  test.each([
    ['S', 'S'],
    ['M1', 'M'],
    ['L', 'L'],
  ] as const)('fixture %s: node groups sized by tier %s', (fixture, tierName) => {
    const { config, cfn } = synth(fixture);
    const tier = config.tiers[tierName];
    const groups = cfn.ofType('AWS::EKS::Nodegroup').map(([, r]) => r.Properties);
    expect(groups).toHaveLength(2);
    const coordinator = groups.find((g) => g.Labels['sici.io/node-role'] === 'coordinator');
    const workers = groups.find((g) => g.Labels['sici.io/node-role'] === 'worker');
    expect(coordinator).toMatchObject({
      InstanceTypes: [tier.coordinator.instanceType],
      ScalingConfig: { MinSize: 1, DesiredSize: 1, MaxSize: 1 },
      AmiType: 'AL2023_x86_64_STANDARD',
      CapacityType: 'ON_DEMAND',
    });
    expect(workers).toMatchObject({
      InstanceTypes: [tier.worker.instanceType],
      ScalingConfig: { MinSize: tier.worker.count, DesiredSize: tier.worker.count, MaxSize: tier.worker.count },
    });
    for (const group of groups) {
      expect(group.RemoteAccess).toBeUndefined();
      expect(group.LaunchTemplate.Id).toEqual({ Ref: expect.stringMatching(/^EksNodeLaunchTemplate/) });
    }
  });

  test('AMI type follows the instance architecture', () => {
    expect(amiTypeFor('m7i.2xlarge')).toBe('AL2023_x86_64_STANDARD');
    expect(amiTypeFor('m7i-flex.large')).toBe('AL2023_x86_64_STANDARD');
    expect(amiTypeFor('r7g.4xlarge')).toBe('AL2023_ARM_64_STANDARD');
    expect(amiTypeFor('c7gn.xlarge')).toBe('AL2023_ARM_64_STANDARD');
    expect(amiTypeFor('m8gd.large')).toBe('AL2023_ARM_64_STANDARD');
    expect(amiTypeFor('g5g.xlarge')).toBe('AL2023_ARM_64_STANDARD');
    expect(amiTypeFor('g5.xlarge')).toBe('AL2023_x86_64_STANDARD');
  });

  test('launch template: IMDSv2 only, one hop, no SSH key, encrypted root volume, detailed monitoring', () => {
    const { cfn } = synth('M2');
    const [[, template]] = cfn.ofType('AWS::EC2::LaunchTemplate');
    const data = template.Properties.LaunchTemplateData;
    expect(data.MetadataOptions.HttpTokens).toBe('required');
    expect(data.MetadataOptions.HttpPutResponseHopLimit).toBeLessThanOrEqual(2);
    expect(data.KeyName).toBeUndefined();
    expect(data.BlockDeviceMappings).toEqual([
      { DeviceName: '/dev/xvda', Ebs: { DeleteOnTermination: true, Encrypted: true, VolumeSize: 100, VolumeType: 'gp3' } },
    ]);
    expect(data.Monitoring).toEqual({ Enabled: true });
    expect(data.IamInstanceProfile).toBeUndefined();
  });

  test('node role: join the cluster and pull images only; the CNI gets its permissions through Pod Identity', () => {
    const { cfn } = synth('M2');
    const [[, nodeRole]] = cfn.ofType('AWS::IAM::Role').filter(([id]) => id.startsWith('EksNodeRole'));
    const policies = nodeRole.Properties.ManagedPolicyArns.map((arn: Json) => arn['Fn::Join'][1].at(-1));
    expect(policies.sort()).toEqual([':iam::aws:policy/AmazonEC2ContainerRegistryPullOnly', ':iam::aws:policy/AmazonEKSWorkerNodePolicy']);
    expect(nodeRole.Properties.Policies).toBeUndefined();
    const [[, cni]] = cfn.ofType('AWS::EKS::Addon').filter(([, r]) => r.Properties.AddonName === 'vpc-cni');
    expect(cni.Properties.PodIdentityAssociations).toEqual([{ ServiceAccount: 'aws-node', RoleArn: expect.anything() }]);
  });

  test('EKS add-ons: networking before the nodes; DNS, Container Insights and the CSI driver after them', () => {
    const { cfn } = synth('M2');
    const addons = Object.fromEntries(cfn.ofType('AWS::EKS::Addon').map(([id, r]) => [r.Properties.AddonName, { id, ...r }]));
    expect(Object.keys(addons).sort()).toEqual(
      ['amazon-cloudwatch-observability', 'aws-secrets-store-csi-driver-provider', 'coredns', 'eks-pod-identity-agent', 'kube-proxy', 'vpc-cni'].sort(),
    );
    const nodegroups = cfn.ofType('AWS::EKS::Nodegroup');
    for (const [, group] of nodegroups) {
      for (const before of ['eks-pod-identity-agent', 'vpc-cni', 'kube-proxy']) expect(group.DependsOn).toContain(addons[before].id);
    }
    for (const after of ['coredns', 'amazon-cloudwatch-observability', 'aws-secrets-store-csi-driver-provider']) {
      for (const [groupId] of nodegroups) expect(addons[after].DependsOn).toContain(groupId);
    }
    expect(JSON.parse(addons['aws-secrets-store-csi-driver-provider'].Properties.ConfigurationValues)).toEqual({
      'secrets-store-csi-driver': { syncSecret: { enabled: true } },
    });
    expect(addons['amazon-cloudwatch-observability'].Properties.PodIdentityAssociations).toEqual([
      { ServiceAccount: 'cloudwatch-agent', RoleArn: expect.anything() },
    ]);
  });
});

describe('IAM', () => {
  test.each(ALL_FIXTURES)('%s: the Starburst role has exactly one AssumeRole statement per datasource, each with its ExternalId', (fixture) => {
    const { spec, json, cfn } = synth(fixture);
    const [[roleId, role]] = cfn.ofType('AWS::IAM::Role').filter(([id]) => id.startsWith('StarburstRole'));
    expect(role.Properties.Policies).toBeUndefined();
    const attached = role.Properties.ManagedPolicyArns.map((arn: Json) => arn.Ref);
    expect(attached).toHaveLength(1);
    const policy = json.Resources[attached[0]];
    const statements: Json[] = policy.Properties.PolicyDocument.Statement;
    const assume = statements.filter((s) => [s.Action].flat().includes('sts:AssumeRole'));
    expect(assume).toHaveLength(spec.datasources.length);
    for (const ds of spec.datasources) {
      expect(assume.filter((s) => s.Resource === ds.roleArn)).toEqual([
        { Sid: expect.any(String), Effect: 'Allow', Action: 'sts:AssumeRole', Resource: ds.roleArn, Condition: { StringEquals: { 'sts:ExternalId': ds.externalId } } },
      ]);
    }
    // Tag the chained sessions (Pod Identity's tags are transitive) on the same roles only.
    const tagging = statements.filter((s) => s.Action === 'sts:TagSession');
    expect(tagging.flatMap((s) => [s.Resource].flat()).sort()).toEqual(spec.datasources.map((ds) => ds.roleArn).sort());
    // Everything else it may do: read the engine's secrets (tenant-secrets.test.ts lists them).
    const others = statements.filter((s) => !assume.includes(s) && !tagging.includes(s));
    expect(others.flatMap((s) => [s.Action].flat()).sort()).toEqual(['kms:Decrypt', 'secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    for (const s of others) expect(s.Resource).not.toBe('*');
    expect(roleId).toBeDefined();
  });

  test.each(ALL_FIXTURES)('%s: the Starburst role has the fixed name of its cluster (the owners\' trust policies name it before the first deploy)', (fixture) => {
    const { spec, cfn } = synth(fixture);
    const [[, role]] = cfn.ofType('AWS::IAM::Role').filter(([id]) => id.startsWith('StarburstRole'));
    expect(role.Properties.RoleName).toBe(starburstRoleName(spec.clusterId));
    expect(role.Properties.RoleName).toBe(`sici-${spec.clusterId}-starburst`);
  });

  test.each(ALL_FIXTURES)('%s: the Starburst role sits under a permissions boundary created in the stack', (fixture) => {
    const { spec, json, cfn } = synth(fixture);
    const [[, role]] = cfn.ofType('AWS::IAM::Role').filter(([id]) => id.startsWith('StarburstRole'));
    const boundaryId = role.Properties.PermissionsBoundary.Ref;
    const boundary = json.Resources[boundaryId];
    expect(boundary.Type).toBe('AWS::IAM::ManagedPolicy');
    const statements: Json[] = boundary.Properties.PolicyDocument.Statement;
    const assumable = statements.filter((s) => s.Action === 'sts:AssumeRole').flatMap((s) => [s.Resource].flat());
    expect(assumable.sort()).toEqual(spec.datasources.map((ds) => ds.roleArn).sort());
    expect(statements.every((s) => s.Effect === 'Allow')).toBe(true);
  });

  test('the Starburst role trusts EKS Pod Identity for starburst/starburst of this cluster only, and the tenant reader of this account (no session tags)', () => {
    const { spec, template, cfn } = synth('M2');
    const [[roleId, role]] = cfn.ofType('AWS::IAM::Role').filter(([id]) => id.startsWith('StarburstRole'));
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'pods.eks.amazonaws.com' },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
        Condition: {
          StringEquals: {
            'aws:SourceAccount': '111111111111',
            'aws:RequestTag/eks-cluster-name': `sici-${spec.clusterId}`,
            'aws:RequestTag/kubernetes-namespace': 'starburst',
            'aws:RequestTag/kubernetes-service-account': 'starburst',
          },
        },
      },
      {
        Sid: 'TenantReaderValidatesAccess',
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::111111111111:role/sici-tenant-reader' },
        Action: 'sts:AssumeRole',
      },
    ]);
    template.hasResourceProperties('AWS::EKS::PodIdentityAssociation', {
      Namespace: 'starburst',
      ServiceAccount: 'starburst',
      RoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] },
    });
  });

  test.each([['M2'], ['L']] as const)('%s: no IAM statement anywhere in the stack allows a wildcard action', (fixture) => {
    const { cfn } = synth(fixture, fixture === 'L' ? { nat: 1, trino: true } : {});
    const statements = cfn.identityStatements();
    expect(statements.length).toBeGreaterThan(20);
    for (const statement of statements) {
      for (const action of [statement.Action ?? []].flat()) expect(action).not.toMatch(/\*/);
      expect(statement.NotAction).toBeUndefined();
    }
  });
});

describe('engine release', () => {
  function chartOf(cfn: TemplateJson, chart: string): Json {
    const charts = cfn.ofType('Custom::AWSCDK-EKS-HelmChart').map(([, r]) => r.Properties);
    const found = charts.find((c) => c.Chart === chart);
    expect(found).toBeDefined();
    return found;
  }

  test.each(ALL_FIXTURES)('%s: Starburst chart at the pinned version, image pinned by digest', (fixture) => {
    const { spec, cfn } = synth(fixture);
    const chart = chartOf(cfn, spec.engine.chart.name);
    expect(chart).toMatchObject({
      Repository: spec.engine.chart.repository,
      Version: spec.engine.chart.version,
      Namespace: 'starburst',
      Release: 'starburst',
      Wait: true,
    });
    const values = JSON.parse(chart.Values);
    expect(values.image.repository).toBe(spec.engine.image.repository);
    expect(values.image.tag).toBe(`${spec.engine.image.tag}@${spec.engine.image.digest}`);
    expect(Object.keys(values.catalogs)).toHaveLength(spec.datasources.length);
  });

  test('Trino chart when the spec pins the trino engine', () => {
    const { cfn } = synth('L', { nat: 1, trino: true });
    const chart = chartOf(cfn, 'trino');
    expect(chart).toMatchObject({ Repository: 'https://trinodb.github.io/charts', Version: '1.41.0', Release: 'trino' });
    const values = JSON.parse(chart.Values);
    expect(values.image).toMatchObject({ repository: TRINO_ENGINE.image.repository, digest: TRINO_ENGINE.image.digest });
    expect(values.server.workers).toBe(8);
  });

  test('the ingest token is generated by Secrets Manager and reaches the pods only by reference', () => {
    const { spec, template, cfn } = synth('M2');
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: spec.ingest.tokenSecretName,
      GenerateSecretString: Match.objectLike({ PasswordLength: 64 }),
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SecretsKey'), 'Arn'] },
    });
    const manifests = cfn.ofType('Custom::AWSCDK-EKS-KubernetesResource').map(([, r]) => JSON.parse(r.Properties.Manifest));
    const spc = manifests.flat().find((m: Json) => m.kind === 'SecretProviderClass');
    expect(JSON.parse(spc.spec.parameters.objects)[0].objectName).toBe(spec.ingest.tokenSecretName);
    const values = JSON.parse(chartOf(cfn, spec.engine.chart.name).Values);
    expect(values.coordinator.etcFiles.properties['event-listener.properties']).toContain(
      'http-event-listener.connect-http-headers=Authorization:Bearer ${ENV:SICI_INGEST_TOKEN}',
    );
  });

  test('the query endpoint is an internal ALB with the spec certificate and the configured client CIDRs', () => {
    const { spec, config, cfn } = synth('M2');
    const manifests = cfn.ofType('Custom::AWSCDK-EKS-KubernetesResource').map(([, r]) => JSON.parse(r.Properties.Manifest));
    const ingress = manifests.flat().find((m: Json) => m.kind === 'Ingress');
    expect(ingress.metadata.annotations).toMatchObject({
      'alb.ingress.kubernetes.io/scheme': 'internal',
      'alb.ingress.kubernetes.io/certificate-arn': spec.queryEndpoint.certificateArn,
      'alb.ingress.kubernetes.io/inbound-cidrs': config.network.queryIngressCidrs.join(','),
      'alb.ingress.kubernetes.io/tags': `sici:cluster=${spec.clusterId},sici:team=${spec.teamId},sici:environment=dev,sici:managed=true`,
    });
    expect(ingress.spec.rules[0].backend ?? ingress.spec.rules[0].http.paths[0].backend.service.name).toBe('starburst');
  });

  test('the engine release waits for the nodes, add-ons, load balancer controller and its Pod Identity association', () => {
    const { cfn } = synth('M2');
    const [[, chart]] = cfn.ofType('Custom::AWSCDK-EKS-HelmChart').filter(([, r]) => r.Properties.Chart === 'starburst-enterprise');
    const dependsOn = chart.DependsOn ?? [];
    const idsOf = (type: string) => cfn.ofType(type).map(([id]) => id);
    for (const id of idsOf('AWS::EKS::Nodegroup')) expect(dependsOn).toContain(id);
    for (const id of idsOf('AWS::EKS::PodIdentityAssociation')) expect(dependsOn).toContain(id);
    const controller = cfn.ofType('Custom::AWSCDK-EKS-HelmChart').find(([, r]) => r.Properties.Chart === 'aws-load-balancer-controller')!;
    expect(dependsOn).toContain(controller[0]);
  });
});

describe('logging, tags and deletion', () => {
  test('every log group is KMS-encrypted, expires, and goes with the stack', () => {
    const { cfn } = synth('M2');
    const groups = cfn.ofType('AWS::Logs::LogGroup');
    expect(groups.map(([, g]) => g.Properties.LogGroupName).filter((n) => typeof n === 'string').sort()).toEqual([
      '/aws/containerinsights/sici-c-m0000000000000c3/application',
      '/aws/containerinsights/sici-c-m0000000000000c3/dataplane',
      '/aws/containerinsights/sici-c-m0000000000000c3/host',
      '/aws/containerinsights/sici-c-m0000000000000c3/performance',
      '/aws/eks/sici-c-m0000000000000c3/cluster',
    ]);
    for (const [, group] of groups) {
      expect(group.Properties.KmsKeyId).toBeDefined();
      expect(group.Properties.RetentionInDays).toBe(365);
      expect(group.DeletionPolicy).toBe('Delete');
    }
  });

  test('Lambda functions log to the tenant log group instead of leaving their own behind', () => {
    const { cfn } = synth('M2');
    const functions = cfn.ofType('AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThan(0);
    for (const [, fn] of functions) {
      expect(fn.Properties.LoggingConfig.LogGroup).toEqual({ Ref: expect.stringMatching(/^LoggingDeploymentFunctions/) });
    }
  });

  test.each([['M2'], ['L']] as const)('%s: nothing is retained on delete; keys wait out a 30-day window', (fixture) => {
    const { json, cfn } = synth(fixture, fixture === 'L' ? { nat: 1, trino: true } : {});
    for (const [id, resource] of Object.entries<Json>(json.Resources)) {
      expect([id, resource.DeletionPolicy ?? 'Delete']).not.toEqual([id, expect.stringMatching(/Retain|Snapshot/)]);
    }
    const keys = cfn.ofType('AWS::KMS::Key');
    expect(keys).toHaveLength(2);
    for (const [, key] of keys) {
      expect(key.DeletionPolicy).toBe('Delete');
      expect(key.Properties.PendingWindowInDays).toBe(30);
      expect(key.Properties.EnableKeyRotation).toBe(true);
    }
  });

  /** Types in this stack that CloudFormation does not let you tag; every other resource must carry the tags. */
  const UNTAGGABLE = new Set([
    'AWS::IAM::ManagedPolicy',
    'AWS::IAM::Policy',
    'AWS::EC2::SubnetRouteTableAssociation',
    'AWS::EC2::SecurityGroupIngress',
    'AWS::EC2::Route',
    'AWS::EC2::VPCGatewayAttachment',
    'AWS::Lambda::LayerVersion',
  ]);

  function tagsOf(resource: Json): Record<string, string> | undefined {
    const props = resource.Properties ?? {};
    const tags = props.Tags ?? props.TagSpecifications?.find((t: Json) => t.ResourceType === 'launch-template')?.Tags;
    if (tags === undefined) return undefined;
    return Array.isArray(tags) ? Object.fromEntries(tags.map((t: Json) => [t.Key, t.Value])) : tags;
  }

  test.each(ALL_FIXTURES)('%s: every taggable resource carries the mandatory sici tags and the spec tags', (fixture) => {
    const { spec, json } = synth(fixture);
    const expected = {
      ...spec.tags,
      'sici:cluster': spec.clusterId,
      'sici:team': spec.teamId,
      'sici:environment': spec.environment,
      'sici:managed': 'true',
    };
    let checked = 0;
    for (const [id, resource] of Object.entries<Json>(json.Resources)) {
      if (UNTAGGABLE.has(resource.Type) || resource.Type.startsWith('Custom::')) continue;
      expect([id, resource.Type, tagsOf(resource)]).toEqual([id, resource.Type, expect.objectContaining(expected)]);
      checked++;
    }
    expect(checked).toBeGreaterThan(40);
  });

  test('instances and volumes launched from the node template are tagged too', () => {
    const { cfn } = synth('M2');
    const [[, template]] = cfn.ofType('AWS::EC2::LaunchTemplate');
    const specs = template.Properties.LaunchTemplateData.TagSpecifications;
    expect(specs.map((s: Json) => s.ResourceType).sort()).toEqual(['instance', 'volume']);
    for (const s of specs) expect(s.Tags).toContainEqual({ Key: 'sici:cluster', Value: 'c-m0000000000000c3' });
  });

  test('a spec tag cannot override a mandatory tag', () => {
    const { cfn } = synth('M2');
    const [[, vpc]] = cfn.ofType('AWS::EC2::VPC');
    expect(vpc.Properties.Tags.filter((t: Json) => t.Key === 'sici:team')).toEqual([{ Key: 'sici:team', Value: 'marketing' }]);
  });
});
