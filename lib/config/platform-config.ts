import * as z from 'zod';

/**
 * The platform team's configuration: the one place where tiers, environments, engine pins,
 * approved connectors, prices and admins are set. Application teams can override none of it.
 * Validated by this schema at synth and at Lambda start; see `loadPlatformConfig`.
 */

export const TIERS = ['S', 'M', 'L'] as const;
export const TierName = z.enum(TIERS);
export type TierName = z.infer<typeof TierName>;

export const ENVIRONMENTS = ['dev', 'test', 'prod'] as const;
export const EnvironmentName = z.enum(ENVIRONMENTS);
export type EnvironmentName = z.infer<typeof EnvironmentName>;

export const CONNECTOR_TYPES = ['s3-hive', 's3-iceberg'] as const;
export const ConnectorType = z.enum(CONNECTOR_TYPES);
export type ConnectorType = z.infer<typeof ConnectorType>;

export const AwsAccountId = z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id');
export const AwsRegion = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'an AWS region such as us-east-1');
export const IamPrincipalArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:iam::\d{12}:(user|role)\/[\w+=,.@/-]+$/, 'an IAM user or role ARN');
export const InstanceType = z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'an EC2 instance type such as m7g.xlarge');

export const AcmCertificateArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/, 'an ACM certificate ARN');

/** A DNS host name (lowercase labels), e.g. `c-0123456789abcdef.query.sici.example.com`. */
export const HostName = z
  .string()
  .max(253)
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'a lowercase DNS host name such as c-0123.query.example.com');

const NodeSize = z.strictObject({
  /** EC2 instance type of the managed node group. */
  instanceType: InstanceType,
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

export const EnvironmentConfig = z.strictObject({
  account: AwsAccountId,
  region: AwsRegion,
  /** DNS domain under which each cluster's query endpoint is named `<clusterId>.<queryDomain>`. */
  queryDomain: HostName,
  /** ACM certificate (in this account and region) covering `*.<queryDomain>`. */
  certificateArn: AcmCertificateArn,
});
export type EnvironmentConfig = z.infer<typeof EnvironmentConfig>;

const Sha256Digest = z.string().regex(/^sha256:[a-f0-9]{64}$/, 'an image digest sha256:<64 hex>');
const SemVer = z.string().regex(/^\d+\.\d+\.\d+([-+][\w.-]+)?$/, 'a version such as 1.2.3');

export const EngineConfig = z.strictObject({
  /** `starburst` (licensed Starburst Enterprise chart) or `trino` (open-source trinodb/charts). */
  kind: z.enum(['starburst', 'trino']),
  chart: z.strictObject({
    repository: z.url(),
    name: z.string().min(1),
    version: SemVer,
  }),
  image: z.strictObject({
    /** A platform ECR repository or pull-through cache, so private subnets suffice. */
    repository: z.string().regex(/^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\/[a-z0-9._/-]+$/, 'an ECR repository URI'),
    tag: z.string().min(1),
    digest: Sha256Digest,
  }),
});
export type EngineConfig = z.infer<typeof EngineConfig>;

export const PriceTable = z.strictObject({
  currency: z.literal('USD'),
  /** Price of one node-hour, by EC2 instance type; every instance type used by a tier must be priced. */
  nodeHour: z.record(InstanceType, z.number().nonnegative()),
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
    ingestEndpoint: z.url({ protocol: /^https$/, error: 'an https:// URL' }),
    /** Days to keep query records before DynamoDB expires them. */
    queryRecordRetentionDays: z.number().int().min(1).max(3650).default(90),
  })
  .superRefine((config, ctx) => {
    if (Object.keys(config.environments).length === 0) {
      ctx.addIssue({ code: 'custom', path: ['environments'], message: 'at least one environment (dev, test or prod)' });
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
