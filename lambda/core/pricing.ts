import { createHash } from 'node:crypto';
import type { PlatformConfig } from '../../lib/config/platform-config';

/**
 * The billing formula, in one place: what a window used, priced with a price table of the platform
 * configuration. Costs are integers of micro-dollars, so that sums of windows, clusters and teams
 * are exact.
 *
 *   cost = Σ node-hours[type] × nodeHour[type] + cluster hours × clusterHour + TiB scanned × scannedTiB
 */

export type PriceTable = PlatformConfig['prices'];

/** What a window used, as far as it is priced. */
export interface PricedUsage {
  /** Node-hours by EC2 instance type. */
  readonly nodeHours: Readonly<Record<string, number>>;
  readonly clusterHours: number;
  readonly scannedBytes: number;
}

export const BYTES_PER_TIB = 2 ** 40;
export const MICROS_PER_DOLLAR = 1_000_000;

/** The estimated cost of `usage` under `prices`, in micro-dollars (rounded to the nearest). */
export function costMicros(usage: PricedUsage, prices: PriceTable): number {
  // Every instance type a tier uses is priced (the configuration's schema checks it), so a window's
  // types are in the table that was in force when it was recorded.
  const nodes = Object.entries(usage.nodeHours).reduce((sum, [instanceType, hours]) => sum + hours * (prices.nodeHour[instanceType] ?? 0), 0);
  const dollars = nodes + usage.clusterHours * prices.clusterHour + (usage.scannedBytes / BYTES_PER_TIB) * prices.scannedTiB;
  return Math.round(dollars * MICROS_PER_DOLLAR);
}

/** The version of a price table: a digest of its content, so that the same prices always have the same version. */
export function priceTableVersion(prices: PriceTable): string {
  return createHash('sha256').update(canonicalJson(prices)).digest('hex').slice(0, 16);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([name, item]) => `${JSON.stringify(name)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
