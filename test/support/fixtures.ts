import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPlatformConfig } from '../../lib/config/load-platform-config';
import { PlatformConfig } from '../../lib/config/platform-config';
import { parseTenantSpec, TenantSpec } from '../../lib/contract/tenant-spec';
import type { Json } from './template';

const ROOT = join(__dirname, '..', '..');

/** The fixture specs: one per tier, with 0, 1, 2 and 3 datasources. */
export const FIXTURES = {
  S: join(ROOT, 'test/fixtures/tenant-s-no-datasources.json'),
  M1: join(ROOT, 'test/fixtures/tenant-m-one-datasource.json'),
  M2: join(ROOT, 'test/fixtures/tenant-m-two-datasources.json'),
  L: join(ROOT, 'test/fixtures/tenant-l-three-datasources.json'),
} as const;
export type FixtureName = keyof typeof FIXTURES;

/** A fixture as a mutable JSON document, for tests that break it on purpose. */
export function readFixture(name: FixtureName): Json {
  return JSON.parse(readFileSync(FIXTURES[name], 'utf8'));
}

export function fixtureSpec(name: FixtureName, change?: (doc: Json) => void): TenantSpec {
  const doc = readFixture(name);
  change?.(doc);
  return parseTenantSpec(doc, FIXTURES[name]);
}

/** The platform configuration of config/platform.json, changed by `change` after validation. */
export function platformConfig(change?: (config: PlatformConfig) => void): PlatformConfig {
  const config = loadPlatformConfig(join(ROOT, 'config/platform.json'));
  change?.(config);
  return config;
}

/** The Trino engine pins used to test the open-source chart. */
export const TRINO_ENGINE = {
  kind: 'trino' as const,
  chart: { repository: 'https://trinodb.github.io/charts', name: 'trino', version: '1.41.0' },
  image: {
    repository: '999999999999.dkr.ecr.us-east-1.amazonaws.com/trino/trino',
    tag: '476',
    digest: `sha256:${'ab'.repeat(32)}`,
  },
};

/** A variant of a fixture tenant: NAT gateways of the platform, and the engine it is pinned to. */
export interface TenantVariant {
  /** @default 0 */
  readonly nat?: 0 | 1;
  /** Pin the spec to `TRINO_ENGINE` instead of its Starburst engine. @default false */
  readonly trino?: boolean;
}

/** The spec and platform configuration of a fixture tenant in one of its variants. */
export function tenantInputs(fixture: FixtureName, variant: TenantVariant = {}): { spec: TenantSpec; config: PlatformConfig } {
  const spec = fixtureSpec(fixture, (doc) => {
    if (variant.trino) doc.engine = TRINO_ENGINE;
  });
  const config = platformConfig((c) => {
    c.network.natGateways = variant.nat ?? 0;
  });
  return { spec, config };
}
