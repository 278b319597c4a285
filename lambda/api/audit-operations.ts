import { listAuditRecords } from '../core/audit-reader';
import { auditCsv } from './audit-csv';
import type { OperationContext, OperationResult, Operations } from './operation';

/**
 * The audit trail, read (admins only): newest first, a page at a time, as JSON or CSV. The CSV
 * answer is the same page; its `x-next-token` header (also sent with JSON) carries the next one.
 */
async function listAudit(context: OperationContext<'listAudit'>): Promise<OperationResult<'listAudit'>> {
  const page = await listAuditRecords(context.deps.tables, context.query, context.deps.now());
  return {
    status: 200,
    body: page,
    ...(page.nextToken ? { headers: { 'x-next-token': page.nextToken } } : {}),
    csv: auditCsv(page.items),
  };
}

export const auditOperations: Operations<'listAudit'> = { listAudit };
