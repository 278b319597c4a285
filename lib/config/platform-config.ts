import * as z from 'zod';
import { AcmCertificateArn, AwsAccountId, AwsRegion, HostName, IamPrincipalArn, SecretsManagerArn } from '../contract/aws-names';
import { ConnectorType, EngineConfig, EnvironmentName, InstanceTypeName, TIERS } from '../contract/platform-names';
import { expecting } from '../contract/validation-messages';

/**
 * The platform team's configuration: the one place where tiers, environments, engine pins,
 * approved connectors, prices and admins are set. Application teams can override none of it.
 * Validated by this schema at synth and at Lambda start; see `loadPlatformConfig`.
 */

const NodeSize = z.strictObject({
  /** EC2 instance type of the managed node group. */
  instanceType: InstanceTypeName,
  /** vCPUs of that instance type (used for requests and limits of the pod on it). */
  vcpu: z.number().int().positive(),
  /** Memory of that instance type in GiB. */
  memoryGiB: z.number().positive(),
});

export const TierConfig = z.strictObject({
  coordinator: NodeSize,
  worker: NodeSize.extend({
    /** Number of worker nodes (and Starburst worker pods). */
    count: z.number().int().min(1).max(100),
  }),
});
export type TierConfig = z.infer<typeof TierConfig>;

/** An OIDC claim name, e.g. `email`, `groups` or `https://example.com/claims/groups`. */
const ClaimName = z.string().regex(/^[\x21-\x7e]{1,256}$/, 'a claim name (visible ASCII characters, no spaces)');
/** An OAuth 2.0 scope token (RFC 6749, section 3.3). */
const ScopeToken = z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/, 'an OAuth 2.0 scope such as openid');

/**
 * The corporate identity provider (OpenID Connect) that team members sign in to clusters with. The
 * client secret is referenced by ARN, never given: it must be in each environment's account and
 * region, where the clusters' engines read it.
 */
export const IdentityProviderConfig = z.strictObject({
  /** The issuer; its discovery document (`<issuer>/.well-known/openid-configuration`) names the endpoints and keys. */
  issuer: z.url({ protocol: /^https$/, error: expecting('an https:// URL') }),
  clientId: z.string().regex(/^[\x21-\x7e]{1,256}$/, 'a client id (visible ASCII characters, no spaces)'),
  /** The Secrets Manager secret holding the client secret (its whole value). */
  clientSecretArn: SecretsManagerArn,
  /** The claim that names the user, e.g. `email`. */
  userClaim: ClaimName,
  /** The claim that carries the user's groups, e.g. `groups`. */
  groupsClaim: ClaimName,
  scopes: z
    .array(ScopeToken)
    .min(1)
    .max(20)
    .refine((scopes) => scopes.includes('openid'), "must include 'openid'"),
});
export type IdentityProviderConfig = z.infer<typeof IdentityProviderConfig>;

/** A Trino session property name, e.g. `query_max_run_time`. */
const SessionPropertyName = z.string().regex(/^[a-z][a-z0-9_]{0,127}$/, 'a session property name such as query_max_run_time');

export const EnvironmentConfig = z.strictObject({
  account: AwsAccountId,
  region: AwsRegion,
  /** DNS domain under which each cluster's query endpoint is named `<clusterId>.<queryDomain>`. */
  queryDomain: HostName,
  /** ACM certificate (in this account and region) covering `*.<queryDomain>`. */
  certificateArn: AcmCertificateArn,
  /** What differs in this environment from the platform's identity provider (its client secret, at least, lives in this account). */
  identityProvider: IdentityProviderConfig.partial().optional(),
  /** The Starburst licence in this environment, if not the platform's. */
  engineLicenseSecretArn: SecretsManagerArn.optional(),
  /** An ACTIVE cluster with no completed query for this many hours is suspended (its team resumes it). @default off */
  autoSuspendAfterIdleHours: z.number().int().min(1).max(24 * 90).optional(),
});
export type EnvironmentConfig = z.infer<typeof EnvironmentConfig>;

export const PriceTable = z.strictObject({
  currency: z.literal('USD'),
  /** Price of one node-hour, by EC2 instance type; every instance type used by a tier must be priced. */
  nodeHour: z.record(InstanceTypeName, z.number().nonnegative()),
  /** Fixed hourly price of one cluster's shared infrastructure (EKS control plane, NAT, load balancer). */
  clusterHour: z.number().nonnegative(),
  /** Price of one TiB scanned by queries. */
  scannedTiB: z.number().nonnegative(),
});

export const NetworkConfig = z.strictObject({
  /** 0 when VPC endpoints suffice for every egress; at most 1 otherwise. */
  natGateways: z.union([z.literal(0), z.literal(1)]),
  /** CIDRs allowed to reach a cluster's query endpoint (the internal load balancer). */
  queryIngressCidrs: z.array(z.cidrv4()).min(1),
  /** Address space from which per-cluster VPC CIDRs (/20 each) are allocated. */
  tenantCidrPool: z.cidrv4(),
});

export const PlatformConfig = z
  .strictObject({
    tiers: z.strictObject({ S: TierConfig, M: TierConfig, L: TierConfig }),
    environments: z.partialRecord(EnvironmentName, EnvironmentConfig),
    engine: EngineConfig,
    approvedConnectors: z.array(ConnectorType).min(1),
    prices: PriceTable,
    admins: z.array(IamPrincipalArn).min(1),
    network: NetworkConfig,
    /** Roles that hold EKS access entries on every tenant cluster; no team principal ever does. */
    access: z.strictObject({
      breakGlassRoleArn: IamPrincipalArn,
    }),
    /** Where clusters' http event listeners post completed queries (the control plane's ingest route). */
    ingestEndpoint: z.url({ protocol: /^https$/, error: expecting('an https:// URL') }),
    /** Days to keep query records before DynamoDB expires them. */
    queryRecordRetentionDays: z.number().int().min(1).max(3650).default(90),
    /** The identity provider team members sign in to clusters with; an environment may override any part of it. */
    identityProvider: IdentityProviderConfig,
    /** The Starburst licence (a Secrets Manager secret); required, here or per environment, when the engine is Starburst. */
    engineLicenseSecretArn: SecretsManagerArn.optional(),
    /** The session properties users may set on a cluster; every other session property is denied. */
    querySessionProperties: z
      .strictObject({ system: z.array(SessionPropertyName).max(50), catalog: z.array(SessionPropertyName).max(50) })
      .default({ system: [], catalog: [] }),
  })
  .superRefine((config, ctx) => {
    if (Object.keys(config.environments).length === 0) {
      ctx.addIssue({ code: 'custom', path: ['environments'], message: 'at least one environment (dev, test or prod)' });
    }
    for (const [name, environment] of Object.entries(config.environments)) {
      const where = (arn: string) => arn.split(':').slice(3, 5).join(':');
      const home = `${environment.region}:${environment.account}`;
      const secret = environment.identityProvider?.clientSecretArn ?? config.identityProvider.clientSecretArn;
      if (where(secret) !== home) {
        ctx.addIssue({
          code: 'custom',
          path: ['environments', name, 'identityProvider', 'clientSecretArn'],
          message: `the identity provider's client secret for ${name} must be in its account ${environment.account} and region ${environment.region}, not ${where(secret)}`,
        });
      }
      const license = environment.engineLicenseSecretArn ?? config.engineLicenseSecretArn;
      if (config.engine.kind === 'starburst' && !license) {
        ctx.addIssue({ code: 'custom', path: ['environments', name, 'engineLicenseSecretArn'], message: `a Starburst licence secret ARN for ${name} (the engine is starburst)` });
      } else if (license && where(license) !== home) {
        ctx.addIssue({
          code: 'custom',
          path: ['environments', name, 'engineLicenseSecretArn'],
          message: `the Starburst licence for ${name} must be in its account ${environment.account} and region ${environment.region}, not ${where(license)}`,
        });
      }
    }
    for (const tier of TIERS) {
      for (const role of ['coordinator', 'worker'] as const) {
        const instanceType = config.tiers[tier][role].instanceType;
        if (config.prices.nodeHour[instanceType] === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['prices', 'nodeHour', instanceType],
            message: `a price for ${instanceType}, used by tier ${tier} ${role}`,
          });
        }
      }
    }
  });
export type PlatformConfig = z.infer<typeof PlatformConfig>;

/** The identity provider of an environment: the platform's, with the environment's overrides. */
export function identityProviderOf(config: PlatformConfig, environment: EnvironmentConfig): IdentityProviderConfig {
  return { ...config.identityProvider, ...environment.identityProvider };
}

/** The Starburst licence secret of an environment, if any. */
export function engineLicenseSecretArnOf(config: PlatformConfig, environment: EnvironmentConfig): string | undefined {
  return environment.engineLicenseSecretArn ?? config.engineLicenseSecretArn;
}
