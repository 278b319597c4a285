import type { Chargeback } from '../../lib/contract/usage';

/** RFC 4180: a field with a comma, a quote or a line break is quoted, its quotes doubled. */
const field = (value: string | number) => {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

export const CHARGEBACK_CSV_HEADER = ['month', 'teamId', 'clusters', 'nodeHours', 'queries', 'dataScannedBytes', 'costUSD'] as const;

/** A chargeback as CSV (RFC 4180): a header row, then one row per team; lines end with CRLF. */
export function chargebackCsv(chargeback: Chargeback): string {
  const rows = chargeback.teams.map((team) => [chargeback.month, team.teamId, team.clusters, team.nodeHours, team.queries, team.dataScannedBytes, team.cost.amount]);
  return [CHARGEBACK_CSV_HEADER, ...rows].map((row) => `${row.map(field).join(',')}\r\n`).join('');
}
