import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { loadPlatformConfig } from '../../lib/config/load-platform-config';
import { PlatformConfig } from '../../lib/config/platform-config';
import { parseTenantSpec, TenantSpec } from '../../lib/contract/tenant-spec';

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
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function readFixture(name: FixtureName): any {
  return JSON.parse(readFileSync(FIXTURES[name], 'utf8'));
}

export function fixtureSpec(name: FixtureName, change?: (doc: ReturnType<typeof readFixture>) => void): TenantSpec {
  const doc = readFixture(name);
  change?.(doc);
  return parseTenantSpec(doc, FIXTURES[name]);
}

export function platformConfig(change?: (config: PlatformConfig) => void): PlatformConfig {
  const config = loadPlatformConfig(join(ROOT, 'config/platform.json'));
  change?.(config);
  return config;
}

/** An App with the feature flags of cdk.json, so tests synthesize what `cdk synth` would. */
export function newApp(outdir?: string): App {
  const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8'));
  return new App({ context: cdkJson.context ?? {}, outdir });
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
