import type { AuditRecordDocument } from '../../lib/contract/fleet';

/**
 * RFC 4180: a field with a comma, a quote or a line break is quoted, its quotes doubled. A field a
 * spreadsheet would run as a formula (starting with =, +, -, @, a tab or a carriage return: a path a
 * client chose is in the metadata) is prefixed with a single quote first.
 */
const field = (value: string | number | undefined) => {
  const text = value === undefined ? '' : String(value);
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

export const AUDIT_CSV_HEADER = ['time', 'actor', 'teamId', 'action', 'entity', 'outcome', 'status', 'sourceIp', 'requestId', 'metadata'] as const;

/** A page of audit records as CSV (RFC 4180): a header row, then one row per record (metadata as JSON); lines end with CRLF. */
export function auditCsv(records: readonly AuditRecordDocument[]): string {
  const rows = records.map((record) => [
    record.time,
    record.actor,
    record.teamId,
    record.action,
    record.entity,
    record.outcome,
    record.status,
    record.sourceIp,
    record.requestId,
    record.metadata === undefined ? undefined : JSON.stringify(record.metadata),
  ]);
  return [AUDIT_CSV_HEADER, ...rows].map((row) => `${row.map(field).join(',')}\r\n`).join('');
}
