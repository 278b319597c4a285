import type { AuditRecordDocument } from '../../lib/contract/fleet';
import { csvTable } from './csv';

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
  return csvTable(AUDIT_CSV_HEADER, rows);
}
