import { lambdaHandler } from './lambda-adapter';
import { usageOperations } from './usage-operations';

/** Lambda for a cluster's usage and query history (/clusters/{id}/usage, /clusters/{id}/queries…) and the admin chargeback (/usage/teams). */
export const handler = lambdaHandler('usage', usageOperations);
