import { clusterOperations } from './cluster-operations';
import { lambdaHandler } from './lambda-adapter';

/** Lambda for /clusters, /clusters/{clusterId} and /clusters/{clusterId}/events. */
export const handler = lambdaHandler('clusters', clusterOperations);
