import { clusterOperations } from './cluster-operations';
import { datasourceOperations } from './datasource-operations';
import { lambdaHandler } from './lambda-adapter';

/** Lambda for /clusters and everything under it (events, datasources). */
export const handler = lambdaHandler('clusters', { ...clusterOperations, ...datasourceOperations });
