import { starburstRoleName, TenantDatasource } from '../../../lib/contract/tenant-spec';

/**
 * Tenants generated from fixed seeds for the IAM simulations: each has a Starburst role in one of
 * two environment accounts (so several tenants share an account, as clusters of one environment
 * do) and 1 to 3 datasources. Data owners come from a small pool of accounts and buckets, so that
 * tenants share owner accounts and buckets and only their prefixes differ (`t<n>/…`).
 */

export interface GeneratedTenant {
  readonly index: number;
  readonly clusterId: string;
  readonly account: string;
  readonly starburstRoleArn: string;
  /** The ARN an engine pod calls with: a session of the Starburst role opened by EKS Pod Identity. */
  readonly starburstSessionArn: string;
  readonly datasources: TenantDatasource[];
}

export const ENVIRONMENT_ACCOUNTS = ['111111111111', '222222222222'] as const;
export const OWNER_ACCOUNTS = ['300000000001', '300000000002', '300000000003', '300000000004', '300000000005'] as const;
const BUCKETS_PER_OWNER = 2;

/** mulberry32: a small deterministic PRNG, enough to vary fixtures reproducibly. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function chars(random: () => number, alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(random() * alphabet.length)];
  return out;
}
const BASE36 = '0123456789abcdefghijklmnopqrstuvwxyz';
const HEX = '0123456789abcdef';
const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)];

export function bucketArnOf(owner: string, n: number): string {
  return `arn:aws:s3:::owner-${owner.slice(-2)}-lake-${n}`;
}

/** All buckets of the owner pool (some hold no datasource: they stand for the owner's other data). */
export const ALL_BUCKET_ARNS = OWNER_ACCOUNTS.flatMap((owner) => Array.from({ length: BUCKETS_PER_OWNER }, (_, n) => bucketArnOf(owner, n)));

export function generateTenant(index: number): GeneratedTenant {
  const random = prng(7919 * (index + 1));
  const clusterId = `c-${chars(random, BASE36, 16)}`;
  const account = ENVIRONMENT_ACCOUNTS[index % ENVIRONMENT_ACCOUNTS.length];
  const roleName = starburstRoleName(clusterId);
  const datasourceCount = 1 + Math.floor(random() * 3);
  const datasources = Array.from({ length: datasourceCount }, (_, d) => {
    const id = `ds-${chars(random, BASE36, 16)}`;
    const owner = pick(random, OWNER_ACCOUNTS);
    const path = random() < 0.5 ? 'sici/datasources/' : '';
    const prefixCount = 1 + Math.floor(random() * 3);
    const prefixes = Array.from({ length: prefixCount }, (_, p) => {
      const folder = `t${index}/d${d}/${pick(random, ['sales', 'events', 'warehouse', "o'brien(raw)", 'year=2025'])}-${p}`;
      // Both spellings of a folder: with and without the trailing slash.
      return random() < 0.5 ? `${folder}/` : folder;
    });
    return TenantDatasource.parse({
      id,
      type: pick(random, ['s3-hive', 's3-iceberg'] as const),
      externalAccountId: owner,
      roleArn: `arn:aws:iam::${owner}:role/${path}sici-${id}`,
      externalId: `sici-${chars(random, HEX, 48)}`,
      bucketArn: bucketArnOf(owner, Math.floor(random() * BUCKETS_PER_OWNER)),
      prefixes,
      region: pick(random, ['us-east-1', 'eu-west-1']),
      accessMode: pick(random, ['read-only', 'read-write'] as const),
    });
  });
  return {
    index,
    clusterId,
    account,
    starburstRoleArn: `arn:aws:iam::${account}:role/${roleName}`,
    starburstSessionArn: `arn:aws:sts::${account}:assumed-role/${roleName}/eks-sici-${clusterId}-starburst-${chars(random, BASE36, 8)}`,
    datasources,
  };
}

export const TENANT_COUNT = 20;
export const TENANTS: GeneratedTenant[] = Array.from({ length: TENANT_COUNT }, (_, i) => generateTenant(i));

export interface OwnedDatasource {
  readonly tenant: GeneratedTenant;
  readonly ds: TenantDatasource;
}
export const ALL_DATASOURCES: OwnedDatasource[] = TENANTS.flatMap((tenant) => tenant.datasources.map((ds) => ({ tenant, ds })));

/** The ARN the engine uses in the owner's account: a session of the datasource role. */
export function datasourceSessionArn(ds: TenantDatasource): string {
  const name = ds.roleArn.slice(ds.roleArn.lastIndexOf('/') + 1);
  return `arn:aws:sts::${ds.externalAccountId}:assumed-role/${name}/trino`;
}
