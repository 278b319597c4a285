import type { UsageGranularity, UsageReport } from '../../lib/contract/usage';
import type { PriceTable } from './pricing';
import { windowOf } from './usage-hours';
import type { UsageWindow } from './usage-store';
import { addWindow, emptyTotals, usageRecord, type UsageTotals } from './usage-totals';

/**
 * A cluster's usage report: its hourly windows of a range, rolled up into hours, UTC days or UTC
 * months, oldest first, and the whole range as one window. Each hour is priced with its own table.
 */
export function usageReport(
  clusterId: string,
  range: { from: string; to: string; granularity: UsageGranularity },
  windows: readonly UsageWindow[],
  prices: ReadonlyMap<string, PriceTable>,
): UsageReport {
  const buckets = new Map<string, { timeWindow: { start: string; end: string }; totals: UsageTotals }>();
  const all = emptyTotals();
  for (const window of windows) {
    const timeWindow = windowOf(window.hour, range.granularity);
    let bucket = buckets.get(timeWindow.start);
    if (!bucket) buckets.set(timeWindow.start, (bucket = { timeWindow, totals: emptyTotals() }));
    addWindow(bucket.totals, window, prices);
    addWindow(all, window, prices);
  }
  return {
    clusterId,
    from: range.from,
    to: range.to,
    granularity: range.granularity,
    windows: [...buckets.values()].map((bucket) => usageRecord(clusterId, bucket.timeWindow, bucket.totals)),
    totals: usageRecord(clusterId, { start: range.from, end: range.to }, all),
  };
}
