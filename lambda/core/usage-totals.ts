import type { UsageRecord } from '../../lib/contract/usage';
import { costMicros, MICROS_PER_DOLLAR, type PriceTable } from './pricing';
import type { UsageWindow } from './usage-store';

/**
 * Sums of hourly usage windows, each priced with the table it names: what a usage report shows
 * for a day, a month or a range, and what a team is charged for a month. Counters and costs are
 * integers (bytes, milliseconds, micro-dollars), so every sum is exact.
 */
export interface UsageTotals {
  queryCount: number;
  failedQueryCount: number;
  queryCpuMs: number;
  scannedBytes: number;
  vcpuHours: number;
  gibHours: number;
  nodeHours: Map<string, number>;
  clusterHours: number;
  costMicros: number;
}

export const emptyTotals = (): UsageTotals => ({
  queryCount: 0,
  failedQueryCount: 0,
  queryCpuMs: 0,
  scannedBytes: 0,
  vcpuHours: 0,
  gibHours: 0,
  nodeHours: new Map(),
  clusterHours: 0,
  costMicros: 0,
});

/** Adds one hourly window, priced with the table of its version, to `totals`. */
export function addWindow(totals: UsageTotals, window: UsageWindow, prices: ReadonlyMap<string, PriceTable>): UsageTotals {
  const table = prices.get(window.priceVersion);
  if (!table) throw new Error(`No price table ${window.priceVersion} for the window ${window.hour} of ${window.clusterId}`);
  totals.queryCount += window.queryCount;
  totals.failedQueryCount += window.failedQueryCount;
  totals.queryCpuMs += window.queryCpuMs;
  totals.scannedBytes += window.scannedBytes;
  totals.vcpuHours += window.vcpuHours;
  totals.gibHours += window.gibHours;
  for (const [instanceType, hours] of Object.entries(window.nodeHours)) totals.nodeHours.set(instanceType, (totals.nodeHours.get(instanceType) ?? 0) + hours);
  totals.clusterHours += window.clusterHours;
  totals.costMicros += costMicros(window, table);
  return totals;
}

/** A sum of fractional hours as the API shows it: to the micro-hour. */
const hours = (value: number) => Math.round(value * 1e6) / 1e6;

export const dollars = (micros: number) => ({ currency: 'USD' as const, amount: micros / MICROS_PER_DOLLAR });

export const totalNodeHours = (totals: UsageTotals) => hours([...totals.nodeHours.values()].reduce((sum, value) => sum + value, 0));

/** The seed's UsageRecord of `totals` over a time window. */
export function usageRecord(clusterId: string, timeWindow: { start: string; end: string }, totals: UsageTotals): UsageRecord {
  return {
    clusterId,
    timeWindow,
    cpuUsage: { vcpuHours: hours(totals.vcpuHours), queryCpuSeconds: totals.queryCpuMs / 1000 },
    memoryUsage: { gibHours: hours(totals.gibHours) },
    nodeHours: Object.fromEntries([...totals.nodeHours].map(([instanceType, value]) => [instanceType, hours(value)])),
    clusterHours: hours(totals.clusterHours),
    queryCount: totals.queryCount,
    failedQueryCount: totals.failedQueryCount,
    dataScanned: { bytes: totals.scannedBytes },
    estimatedCost: dollars(totals.costMicros),
  };
}
