import { clusterOperations } from './cluster-operations';
import { datasourceOperations } from './datasource-operations';
import { jobOperations } from './job-operations';
import { teamOperations } from './team-operations';
import type { Operations } from './router';

/** Every operation of the API, for hosts that serve all routes at once (the local control plane, tests). */
export const ALL_OPERATIONS: Operations = { ...clusterOperations, ...datasourceOperations, ...jobOperations, ...teamOperations };
