import type { Chargeback } from '../../lib/contract/usage';
import type { PriceTable } from './pricing';
import type { UsageWindow } from './usage-store';
import { addWindow, dollars, emptyTotals, totalNodeHours, type UsageTotals } from './usage-totals';

/**
 * What each team is charged for a month: the sum of its clusters' hourly windows in the month,
 * each priced with its own table. Costs add up in micro-dollars, so the total is exactly the sum of
 * the teams, and each team exactly the sum of its clusters.
 */
export function chargebackOf(month: string, windowsByCluster: ReadonlyMap<string, readonly UsageWindow[]>, prices: ReadonlyMap<string, PriceTable>): Chargeback {
  const teams = new Map<string, { clusters: Set<string>; totals: UsageTotals }>();
  for (const [clusterId, windows] of windowsByCluster) {
    for (const window of windows) {
      let team = teams.get(window.teamId);
      if (!team) teams.set(window.teamId, (team = { clusters: new Set(), totals: emptyTotals() }));
      team.clusters.add(clusterId);
      addWindow(team.totals, window, prices);
    }
  }
  const charges = [...teams]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([teamId, { clusters, totals }]) => ({
      teamId,
      clusters: clusters.size,
      nodeHours: totalNodeHours(totals),
      queries: totals.queryCount,
      dataScannedBytes: totals.scannedBytes,
      cost: dollars(totals.costMicros),
    }));
  const totalMicros = [...teams.values()].reduce((sum, team) => sum + team.totals.costMicros, 0);
  return { month, teams: charges, total: dollars(totalMicros) };
}
