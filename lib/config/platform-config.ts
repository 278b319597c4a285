import * as z from 'zod';
import { AcmCertificateArn, AwsAccountId, AwsRegion, HostName, IamPrincipalArn } from '../contract/aws-names';
import { ConnectorType, EngineConfig, EnvironmentName, TIERS } from '../contract/platform-names';

/**
 * The platform team's configuration: the one place where tiers, environments, engine pins,
 * approved connectors, prices and admins are set. Application teams can override none of it.
 * Validated by this schema at synth and at Lambda start; see `loadPlatformConfig`.
 */

export const InstanceType = z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'an EC2 instance type such as m7g.xlarge');

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
