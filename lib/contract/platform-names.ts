import * as z from 'zod';

/**
 * The platform's vocabulary, shared by the platform configuration, the API and the TenantSpec:
 * tiers, environments, connector types, and the engine pins a cluster is deployed with.
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

/** An EC2 instance type, e.g. `m7g.xlarge`. */
export const InstanceTypeName = z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'an EC2 instance type such as m7g.xlarge');

const Sha256Digest = z.string().regex(/^sha256:[a-f0-9]{64}$/, 'an image digest sha256:<64 hex>');
const SemVer = z.string().regex(/^\d+\.\d+\.\d+([-+][\w.-]+)?$/, 'a version such as 1.2.3');

/** The engine's chart and image, pinned by version and digest; a TenantSpec carries the pins its cluster runs. */
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
