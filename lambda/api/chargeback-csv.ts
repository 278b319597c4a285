import type { Chargeback } from '../../lib/contract/usage';
import { csvTable } from './csv';

export const CHARGEBACK_CSV_HEADER = ['month', 'teamId', 'clusters', 'nodeHours', 'queries', 'dataScannedBytes', 'costUSD'] as const;

/** A chargeback as CSV (RFC 4180): a header row, then one row per team; lines end with CRLF. */
export function chargebackCsv(chargeback: Chargeback): string {
  const rows = chargeback.teams.map((team) => [chargeback.month, team.teamId, team.clusters, team.nodeHours, team.queries, team.dataScannedBytes, team.cost.amount]);
  return csvTable(CHARGEBACK_CSV_HEADER, rows);
}
