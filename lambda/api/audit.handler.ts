import { auditOperations } from './audit-operations';
import { lambdaHandler } from './lambda-adapter';

/** Lambda for reading the audit trail (GET /audit): Query on the audit table, nothing written. */
export const handler = lambdaHandler('audit', auditOperations);
