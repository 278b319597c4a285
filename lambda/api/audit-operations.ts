import { ProblemError } from '../core/problems';
import type { Operations } from './operation';

// Placeholder until the audit reader lands (issue 14).
const notYet = () => Promise.reject(new ProblemError(501, 'not-implemented', 'Not implemented', 'This route is being built.'));

/** The audit trail, read. */
export const auditOperations: Operations<'listAudit'> = { listAudit: notYet };
