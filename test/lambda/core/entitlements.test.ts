import { loadPlatformConfig } from '../../../lib/config/load-platform-config';
import type { Entitlements, Team } from '../../../lib/contract/api';
import { clusterRefusal, datasourceRefusal, quotaRefusal, tierRefusal } from '../../../lambda/core/entitlements';
import { refusalProblem } from '../../../lambda/core/problems';

const config = loadPlatformConfig('config/platform.json');

const team = (entitlements: Partial<Entitlements> = {}): Team => ({
  teamId: 'lake',
  principals: ['arn:aws:iam::123456789012:role/lake'],
  entitlements: { tiers: ['S', 'M'], environments: ['dev'], maxClusters: 2, ...entitlements },
  groups: [],
  clusterCount: 0,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

const datasource = { type: 's3-iceberg' as const, accessMode: 'read-only' as const, externalAccountId: '210987654321' };

describe('clusters', () => {
  test('an entitled tier in an entitled environment is allowed', () => {
    expect(clusterRefusal(team(), config, { environment: 'dev', tier: 'M' })).toBeUndefined();
  });

  test('an environment the platform does not offer is a bad request naming what it offers', () => {
    const withoutTest = { ...config, environments: { dev: config.environments.dev } };
    const refusal = clusterRefusal(team({ environments: ['dev', 'test'] }), withoutTest, { environment: 'test', tier: 'S' });
    expect(refusal).toEqual({ field: 'environment', rule: 'offered', detail: 'Environment test is not offered by this platform.', expected: 'one of dev' });
    expect(refusalProblem(refusal!).toProblem()).toMatchObject({ status: 400, errors: [{ field: 'body.environment', message: 'one of dev' }] });
  });

  test('an environment or a tier the team is not entitled to is a 403 on that field', () => {
    const environment = clusterRefusal(team(), config, { environment: 'prod', tier: 'S' });
    expect(environment).toMatchObject({ field: 'environment', rule: 'entitled', detail: 'Team lake is not entitled to environment prod (entitled: dev).' });
    const tier = clusterRefusal(team(), config, { environment: 'dev', tier: 'L' });
    expect(tier).toMatchObject({ field: 'tier', rule: 'entitled', detail: 'Team lake is not entitled to tier L (entitled: S, M).' });
    expect(tierRefusal(team(), 'L')).toEqual(tier);
    expect(refusalProblem(tier!).toProblem()).toMatchObject({ status: 403, type: 'https://sici.dev/problems/not-entitled', errors: [{ field: 'body.tier' }] });
  });

  test('the quota refusal names the quota and no field', () => {
    const refusal = quotaRefusal(team({ maxClusters: 2 }));
    expect(refusal.detail).toMatch(/quota of 2 cluster\(s\)/);
    expect(refusalProblem(refusal).toProblem()).toMatchObject({ status: 403 });
    expect(refusalProblem(refusal).toProblem().errors).toBeUndefined();
  });
});

describe('datasources', () => {
  test('an approved read-only datasource in any account is allowed by default', () => {
    expect(datasourceRefusal(team(), config, datasource)).toBeUndefined();
  });

  test('a connector type the platform has not approved is a bad request', () => {
    const hiveOnly = { ...config, approvedConnectors: ['s3-hive' as const] };
    expect(datasourceRefusal(team(), hiveOnly, datasource)).toMatchObject({ field: 'type', rule: 'offered', expected: 'one of s3-hive' });
  });

  test('read-write needs the entitlement', () => {
    const readWrite = { ...datasource, accessMode: 'read-write' as const };
    expect(datasourceRefusal(team(), config, readWrite)).toMatchObject({ field: 'accessMode', rule: 'entitled' });
    expect(datasourceRefusal(team({ readWriteDatasources: true }), config, readWrite)).toBeUndefined();
  });

  test('data accounts, when set, bound where datasources may be', () => {
    const bounded = team({ dataAccounts: ['111111111111'] });
    expect(datasourceRefusal(bounded, config, datasource)).toMatchObject({ field: 'externalAccountId', detail: 'Team lake may add datasources only from account(s) 111111111111.' });
    expect(datasourceRefusal(bounded, config, { ...datasource, externalAccountId: '111111111111' })).toBeUndefined();
  });
});
