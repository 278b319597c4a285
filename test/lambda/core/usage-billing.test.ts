import { loadPlatformConfig } from '../../../lib/config/load-platform-config';
import type { Cluster } from '../../../lib/contract/api';
import { chargebackOf } from '../../../lambda/core/chargeback';
import { accrualOf, accruesBetween, nodeUsageInHour, SAMPLE_PERIOD_MS, type NodeSamples } from '../../../lambda/core/node-usage';
import { BYTES_PER_TIB, costMicros, priceTableVersion, type PriceTable } from '../../../lambda/core/pricing';
import { firstHourFrom, hourOf, hoursBetween, hoursOfMonth, lastHourBefore, windowOf } from '../../../lambda/core/usage-hours';
import { usageRange } from '../../../lambda/core/usage-range';
import { usageReport } from '../../../lambda/core/usage-report';
import type { UsageWindow } from '../../../lambda/core/usage-store';
import { ProblemError } from '../../../lambda/core/problems';

/** The billing rules without storage: hours and windows, the price formula, node metering, roll-ups and chargeback. */

const config = loadPlatformConfig('config/platform.json');
const prices = config.prices;
const tierS = config.tiers.S;

describe('hours and windows', () => {
  it('puts an instant in the UTC hour it falls in: the hour’s first instant starts it, its last millisecond ends it', () => {
    expect(hourOf('2026-11-20T08:59:59.999Z')).toBe('2026-11-20T08');
    expect(hourOf('2026-11-20T09:00:00.000Z')).toBe('2026-11-20T09');
    expect(firstHourFrom(Date.parse('2026-11-20T08:00:00.001Z'))).toBe('2026-11-20T09');
    expect(firstHourFrom(Date.parse('2026-11-20T08:00:00.000Z'))).toBe('2026-11-20T08');
    expect(lastHourBefore(Date.parse('2026-11-20T10:00:00.000Z'))).toBe('2026-11-20T09');
    expect(lastHourBefore(Date.parse('2026-11-20T10:00:00.001Z'))).toBe('2026-11-20T10');
    expect(hoursBetween('2026-11-30T22', '2026-12-01T01')).toEqual(['2026-11-30T22', '2026-11-30T23', '2026-12-01T00', '2026-12-01T01']);
  });

  it('rolls an hour up into its UTC day and month, across month and year ends', () => {
    expect(windowOf('2026-12-31T23', 'hour')).toEqual({ start: '2026-12-31T23:00:00.000Z', end: '2027-01-01T00:00:00.000Z' });
    expect(windowOf('2026-12-31T23', 'day')).toEqual({ start: '2026-12-31T00:00:00.000Z', end: '2027-01-01T00:00:00.000Z' });
    expect(windowOf('2026-12-31T23', 'month')).toEqual({ start: '2026-12-01T00:00:00.000Z', end: '2027-01-01T00:00:00.000Z' });
    expect(hoursOfMonth('2028-02')).toEqual({ first: '2028-02-01T00', last: '2028-02-29T23' });
  });

  it('resolves a usage range with its defaults and refuses an empty or too long one, naming the field', () => {
    const now = new Date('2026-12-01T12:30:00.000Z');
    expect(usageRange({ granularity: 'day' }, now)).toEqual({ from: '2026-11-01T12:30:00.000Z', to: '2026-12-01T12:30:00.000Z', firstHour: '2026-11-01T13', lastHour: '2026-12-01T12' });
    const fieldOf = (query: Parameters<typeof usageRange>[0]) => {
      try {
        usageRange(query, now);
      } catch (error) {
        return (error as ProblemError).errors?.[0].field;
      }
      return undefined;
    };
    expect(fieldOf({ granularity: 'day', from: '2026-12-01T12:30:00Z', to: '2026-12-01T12:30:00Z' })).toBe('query.from');
    expect(fieldOf({ granularity: 'hour', from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:01Z' })).toBe('query.to');
    expect(fieldOf({ granularity: 'hour', from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' })).toBeUndefined();
    expect(fieldOf({ granularity: 'day', from: '2025-01-01T00:00:00Z' })).toBe('query.from');
  });
});

describe('the price formula', () => {
  it('prices node-hours by instance type, cluster hours and TiB scanned: the README’s worked example', () => {
    // One hour of an S cluster (its coordinator and two workers) that scanned 1.5 TiB.
    const hour = { nodeHours: { 'm7i.xlarge': 1, 'r7i.xlarge': 2 }, clusterHours: 1, scannedBytes: 1.5 * BYTES_PER_TIB };
    expect(costMicros(hour, prices)).toBe(1_680_800); // 0.2016 + 2 × 0.2646 + 0.2 + 1.5 × 0.5 = 1.6808 USD
    // A 30-day month of it, with 40 TiB scanned in all.
    const month = { nodeHours: { 'm7i.xlarge': 720, 'r7i.xlarge': 1440 }, clusterHours: 720, scannedBytes: 40 * BYTES_PER_TIB };
    expect(costMicros(month, prices)).toBe(690_176_000); // 720 × 0.9308 + 40 × 0.5 = 690.176 USD
  });

  it('versions a price table by its content, whatever the order of its keys', () => {
    const reordered = { scannedTiB: prices.scannedTiB, clusterHour: prices.clusterHour, nodeHour: Object.fromEntries(Object.entries(prices.nodeHour).reverse()), currency: prices.currency } as PriceTable;
    expect(priceTableVersion(reordered)).toBe(priceTableVersion(prices));
    expect(priceTableVersion({ ...prices, clusterHour: 0.21 })).not.toBe(priceTableVersion(prices));
  });
});

const window = (hour: string, changes: Partial<UsageWindow> = {}): UsageWindow => ({
  clusterId: 'c-0000000000000001',
  teamId: 'analytics',
  hour,
  queryCount: 0,
  failedQueryCount: 0,
  queryCpuMs: 0,
  scannedBytes: 0,
  vcpuHours: 0,
  gibHours: 0,
  nodeHours: {},
  clusterHours: 0,
  priceVersion: 'v1',
  ...changes,
});

describe('usage reports and chargeback', () => {
  const cheap = prices;
  const dear = { ...prices, clusterHour: 2, scannedTiB: 5 };
  const tables = new Map([
    ['v1', cheap],
    ['v2', dear],
  ]);

  it('prices each hour with the table it names, and sums hours into days exactly', () => {
    const windows = [
      window('2026-11-30T23', { queryCount: 2, clusterHours: 1, scannedBytes: BYTES_PER_TIB }),
      window('2026-12-01T00', { queryCount: 3, failedQueryCount: 1, queryCpuMs: 1500, clusterHours: 1, priceVersion: 'v2', nodeHours: { 'm7i.xlarge': 1 } }),
      window('2026-12-01T05', { clusterHours: 0.5, priceVersion: 'v2', vcpuHours: 1.25, gibHours: 3 }),
    ];
    const report = usageReport('c-0000000000000001', { from: '2026-11-30T00:00:00.000Z', to: '2026-12-02T00:00:00.000Z', granularity: 'day' }, windows, tables);
    expect(report.windows.map((w) => [w.timeWindow.start, w.queryCount, w.estimatedCost.amount])).toEqual([
      ['2026-11-30T00:00:00.000Z', 2, 0.2 + 0.5],
      ['2026-12-01T00:00:00.000Z', 3, 2 + 0.2016 + 1],
    ]);
    expect(report.windows[1]).toMatchObject({ failedQueryCount: 1, cpuUsage: { vcpuHours: 1.25, queryCpuSeconds: 1.5 }, memoryUsage: { gibHours: 3 }, nodeHours: { 'm7i.xlarge': 1 }, clusterHours: 1.5 });
    expect(report.totals).toMatchObject({ queryCount: 5, clusterHours: 2.5, estimatedCost: { currency: 'USD', amount: 3.9016 } });
  });

  it('charges each team its clusters’ windows; the total is the sum of the teams', () => {
    const byCluster = new Map([
      ['c-a', [window('2026-11-01T00', { clusterId: 'c-a', teamId: 'analytics', clusterHours: 1, queryCount: 1 })]],
      ['c-b', [window('2026-11-02T00', { clusterId: 'c-b', teamId: 'analytics', clusterHours: 1, priceVersion: 'v2', nodeHours: { 'r7i.xlarge': 2 } })]],
      ['c-c', [window('2026-11-03T00', { clusterId: 'c-c', teamId: 'finance', scannedBytes: 3 * BYTES_PER_TIB, queryCount: 4 })]],
      ['c-d', []],
    ]);
    const chargeback = chargebackOf('2026-11', byCluster, tables);
    expect(chargeback.teams).toEqual([
      { teamId: 'analytics', clusters: 2, nodeHours: 2, queries: 1, dataScannedBytes: 0, cost: { currency: 'USD', amount: 0.2 + 2 + 2 * 0.2646 } },
      { teamId: 'finance', clusters: 1, nodeHours: 0, queries: 4, dataScannedBytes: 3 * BYTES_PER_TIB, cost: { currency: 'USD', amount: 1.5 } },
    ]);
    expect(chargeback.total.amount).toBeCloseTo(2.7292 + 1.5, 9);
  });
});

describe('node metering', () => {
  const cluster = (status: Cluster['status'], updatedAt = '2026-11-20T09:20:00.000Z'): Cluster => ({
    clusterId: 'c-0000000000000001',
    teamId: 'analytics',
    environment: 'dev',
    tier: 'S',
    status,
    endpoint: null,
    createdAt: '2026-11-20T08:40:00.000Z',
    updatedAt,
  });
  /** Every minute from 08:00 to 10:00 with three nodes, each using 500 millicores and 2 GiB. */
  const samples = (): NodeSamples => {
    const minutes = Array.from({ length: 120 }, (_, i) => Date.parse('2026-11-20T08:00:00.000Z') + i * SAMPLE_PERIOD_MS);
    return {
      nodeCount: new Map(minutes.map((m) => [m, 3])),
      cpuMillicoresPerNode: new Map(minutes.map((m) => [m, 500])),
      memoryBytesPerNode: new Map(minutes.map((m) => [m, 2 * 2 ** 30])),
    };
  };
  const later = Date.parse('2026-11-21T00:00:00.000Z');

  it('accrues from creation, and not after a cluster is SUSPENDED, FAILED or DELETED', () => {
    expect(accrualOf(cluster('ACTIVE'))).toEqual({ start: Date.parse('2026-11-20T08:40:00.000Z') });
    expect(accrualOf(cluster('UPDATING'))).toEqual({ start: Date.parse('2026-11-20T08:40:00.000Z') });
    expect(accrualOf(cluster('DELETING'))).toEqual({ start: Date.parse('2026-11-20T08:40:00.000Z') });
    for (const status of ['SUSPENDED', 'FAILED', 'DELETED'] as const) {
      expect(accrualOf(cluster(status))).toEqual({ start: Date.parse('2026-11-20T08:40:00.000Z'), stop: Date.parse('2026-11-20T09:20:00.000Z') });
    }
    expect(accruesBetween(accrualOf(cluster('DELETED')), Date.parse('2026-11-20T09:20:00.000Z'), later)).toBe(false);
    expect(accruesBetween(accrualOf(cluster('DELETED')), Date.parse('2026-11-20T09:19:59.999Z'), later)).toBe(true);
  });

  it('meters an hour from the minutes it ran in: vCPU-hours and GiB-hours in use, node-hours by instance type, cluster hours', () => {
    const running = nodeUsageInHour(samples(), '2026-11-20T08', accrualOf(cluster('ACTIVE')), tierS, later);
    // 20 minutes (08:40 to 09:00) of 3 nodes: the coordinator's and two workers'.
    expect(running.clusterHours).toBeCloseTo(1 / 3, 12);
    expect(running.nodeHours).toEqual({ [tierS.coordinator.instanceType]: expect.closeTo(1 / 3, 12), [tierS.worker.instanceType]: expect.closeTo(2 / 3, 12) });
    expect(running.vcpuHours).toBeCloseTo(3 * 0.5 * (1 / 3), 12);
    expect(running.gibHours).toBeCloseTo(3 * 2 * (1 / 3), 12);
  });

  it('meters nothing after the moment a cluster was deleted, and the hour under way only up to now', () => {
    const deleted = nodeUsageInHour(samples(), '2026-11-20T09', accrualOf(cluster('DELETED')), tierS, later);
    expect(deleted.clusterHours).toBeCloseTo(1 / 3, 12); // 09:00 to 09:20
    expect(deleted.nodeHours[tierS.worker.instanceType]).toBeCloseTo(2 / 3, 12);
    expect(nodeUsageInHour(samples(), '2026-11-20T10', accrualOf(cluster('DELETED')), tierS, later)).toEqual({ vcpuHours: 0, gibHours: 0, nodeHours: {}, clusterHours: 0 });
    const underWay = nodeUsageInHour(samples(), '2026-11-20T09', accrualOf(cluster('ACTIVE')), tierS, Date.parse('2026-11-20T09:30:00.000Z'));
    expect(underWay.clusterHours).toBe(0.5);
    expect(underWay.nodeHours[tierS.coordinator.instanceType]).toBeCloseTo(0.5, 12);
  });
});
