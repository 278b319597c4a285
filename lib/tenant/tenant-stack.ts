import { Annotations, CfnOutput, Fn, Stack, StackProps, ValidationError } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { lit } from '../compliance/error-code';
import { engineLicenseSecretArnOf, identityProviderOf, type EnvironmentConfig, type PlatformConfig } from '../config/platform-config';
import { mandatoryTags, tenantClusterName, tenantStackName, type TenantSpec } from '../contract/tenant-spec';
import { internalSharedSecretName, type EngineSecretSources } from './engine-secrets';
import { IngestToken } from './ingest-token';
import { InternalSharedSecret } from './internal-shared-secret';
import { applyTenantTags } from './tenant-tags';
import { StarburstRelease } from './starburst-release';
import { StarburstRole } from './starburst-role';
import { TenantCluster } from './tenant-cluster';
import { TenantKey } from './tenant-key';
import { TenantLogging } from './tenant-logging';
import { TenantNetwork } from './tenant-network';

export interface TenantStackProps extends Omit<StackProps, 'env' | 'stackName'> {
  /** The validated TenantSpec: the only input that varies per cluster. */
  readonly spec: TenantSpec;
  /** The platform configuration: environments, tiers, network and access settings, the identity provider and licence. */
  readonly config: PlatformConfig;
}


/**
 * One tenant's data plane: a dedicated VPC, a private EKS cluster sized by tier, the Starburst (or
 * Trino) engine with the team's catalogs and access rules, its IAM role, logging and the query
 * endpoint. Synthesized from a TenantSpec and the platform config; no lookups, no network calls.
 *
 * Outputs (read by the provisioning workflow): `QueryEndpoint`, `QueryLoadBalancer`, `ClusterArn`,
 * `StarburstRoleArn`, `VpcId`.
 */
export class TenantStack extends Stack {
  readonly spec: TenantSpec;
  readonly network: TenantNetwork;
  readonly tenantCluster: TenantCluster;
  readonly starburstRole: StarburstRole;
  readonly engine: StarburstRelease;

  constructor(scope: Construct, id: string, props: TenantStackProps) {
    const { spec, config } = props;
    const environment = config.environments[spec.environment];
    super(scope, id, {
      ...props,
      env: environment && { account: environment.account, region: environment.region },
      stackName: tenantStackName(spec.clusterId),
      description: `SICI data plane of cluster ${spec.clusterId} (team ${spec.teamId}, ${spec.environment}, tier ${spec.tier})`,
    });
    const problems = specProblems(spec, config, environment);
    if (problems.length > 0 || !environment) {
      throw new ValidationError(
        lit`TenantSpecDoesNotFitPlatform`,
        `TenantStack for ${spec.clusterId} cannot be synthesized:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
        this,
      );
    }
    this.spec = spec;
    const clusterName = tenantClusterName(spec.clusterId);
    const tier = config.tiers[spec.tier];

    const logging = new TenantLogging(this, 'Logging', { clusterName });

    this.network = new TenantNetwork(this, 'Network', {
      cidr: spec.vpcCidr,
      natGateways: config.network.natGateways,
      availabilityZones: this.availabilityZones,
      flowLogGroup: logging.flowLogs,
      functionLogGroup: logging.deploymentFunctions,
    });

    const secretsKey = new TenantKey(this, 'SecretsKey', {
      description: `Encrypts the Kubernetes secrets, the ingest token and the internal shared secret of ${clusterName}`,
    });

    this.tenantCluster = new TenantCluster(this, 'Eks', {
      clusterName,
      network: this.network,
      tier,
      breakGlassRoleArn: config.access.breakGlassRoleArn,
      secretsKey,
      logging,
      engineChartRepository: spec.engine.chart.repository,
      suspended: spec.suspended,
    });
    const cluster = this.tenantCluster.cluster;

    const ingestToken = new IngestToken(this, 'IngestToken', {
      secretName: spec.ingest.tokenSecretName,
      encryptionKey: secretsKey,
    });
    const sharedSecretName = internalSharedSecretName(spec.clusterId);
    const sharedSecret = new InternalSharedSecret(this, 'InternalSharedSecret', { secretName: sharedSecretName, encryptionKey: secretsKey });
    const identityProvider = identityProviderOf(config, environment);
    const secrets: EngineSecretSources = {
      ingestTokenSecretName: spec.ingest.tokenSecretName,
      internalSharedSecretName: sharedSecretName,
      oauth2ClientSecretArn: identityProvider.clientSecretArn,
      // The open-source engine has no licence to read.
      starburstLicenseSecretArn: spec.engine.kind === 'starburst' ? engineLicenseSecretArnOf(config, environment) : undefined,
    };

    this.starburstRole = new StarburstRole(this, 'Starburst', {
      clusterId: spec.clusterId,
      cluster,
      clusterName,
      datasources: spec.datasources,
      engineSecrets: [ingestToken.secret, sharedSecret.secret],
      secretsKey,
      platformSecretArns: [secrets.oauth2ClientSecretArn, ...(secrets.starburstLicenseSecretArn ? [secrets.starburstLicenseSecretArn] : [])],
    });

    this.engine = new StarburstRelease(this, 'Engine', {
      cluster,
      spec,
      tier,
      identityProvider,
      sessionProperties: config.querySessionProperties,
      secrets,
      queryIngressCidrs: config.network.queryIngressCidrs,
      loadBalancerTags: mandatoryTags(spec),
      dependsOn: [...this.tenantCluster.workloadReady, this.starburstRole.association],
    });

    applyTenantTags(this, spec);

    if (this.network.isolated && !spec.engine.chart.repository.startsWith('oci://')) {
      // Not an error: the platform may route the kubectl handler through a proxy (kubectlProviderOptions.environment).
      Annotations.of(this.engine).addWarningV2(
        'sici:isolatedChartRepository',
        `Without a NAT gateway the kubectl handler cannot reach ${spec.engine.chart.repository} (or aws.github.io/eks-charts); ` +
          'mirror the charts to an ECR OCI repository or set network.natGateways to 1',
      );
    }
    if (this.network.isolated) {
      // Not an error either: the identity provider may be reachable privately (a proxy, PrivateLink).
      Annotations.of(this.engine).addWarningV2(
        'sici:isolatedIdentityProvider',
        `Without a NAT gateway the coordinator reaches the identity provider ${identityProvider.issuer} (OIDC discovery, keys, ` +
          'token endpoint) only through a route the platform provides; it does not start without it',
      );
    }

    new CfnOutput(this, 'QueryEndpoint', {
      description: 'HTTPS endpoint of the Trino protocol (TLS at the internal load balancer)',
      value: `https://${spec.queryEndpoint.hostname}`,
    });
    new CfnOutput(this, 'QueryLoadBalancer', {
      description: 'DNS name of the internal load balancer that the query endpoint host name must resolve to',
      value: this.engine.loadBalancerHostname,
    });
    new CfnOutput(this, 'ClusterArn', { description: 'The EKS cluster', value: cluster.clusterArn });
    new CfnOutput(this, 'StarburstRoleArn', {
      description: 'Role of the engine pods; datasource roles trust it with their ExternalId',
      value: this.starburstRole.role.roleArn,
    });
    new CfnOutput(this, 'VpcId', { description: 'The tenant VPC', value: this.network.vpc.vpcId });
  }

  /**
   * The region's first two zones, resolved by CloudFormation (`Fn::GetAZs`) rather than looked up
   * at synth or hard-coded: synth stays free of context lookups.
   */
  get availabilityZones(): string[] {
    return [Fn.select(0, Fn.getAzs()), Fn.select(1, Fn.getAzs())];
  }
}

/** What keeps a spec from being deployed with this platform config, one line each (none: it fits). */
function specProblems(spec: TenantSpec, config: PlatformConfig, environment: EnvironmentConfig | undefined): string[] {
  if (!environment) {
    const configured = Object.keys(config.environments).join(', ') || 'none';
    return [`environment "${spec.environment}" is not configured in the platform config (configured: ${configured})`];
  }
  const problems: string[] = [];
  spec.datasources.forEach((ds, index) => {
    if (!config.approvedConnectors.includes(ds.type)) {
      problems.push(
        `datasources.${index}.type: "${ds.type}" is not an approved connector (approved: ${config.approvedConnectors.join(', ')})`,
      );
    }
    if (config.network.natGateways === 0 && ds.region !== environment.region) {
      problems.push(
        `datasources.${index}.region: ${ds.region} cannot be reached from a VPC without NAT in ${environment.region} ` +
          '(VPC endpoints are regional); set network.natGateways to 1 or use a datasource in the same region',
      );
    }
  });
  if (spec.engine.kind === 'starburst' && !engineLicenseSecretArnOf(config, environment)) {
    problems.push(`engine.kind: the Starburst engine needs a licence, and environment "${spec.environment}" has no engineLicenseSecretArn`);
  }
  const [, , , certRegion, certAccount] = spec.queryEndpoint.certificateArn.split(':');
  if (certRegion !== environment.region || certAccount !== environment.account) {
    problems.push(
      `queryEndpoint.certificateArn: the certificate must be in the environment's account ${environment.account} ` +
        `and region ${environment.region}, not ${certAccount}/${certRegion}`,
    );
  }
  return problems;
}
