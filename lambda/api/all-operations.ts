import { clusterOperations } from './cluster-operations';
import { datasourceOperations } from './datasource-operations';
import { jobOperations } from './job-operations';
import type { Operations } from './operation';
import { teamOperations } from './team-operations';

/** Every operation of the API, for hosts that serve all routes at once (the local control plane, tests). */
export const ALL_OPERATIONS: Operations = { ...clusterOperations, ...datasourceOperations, ...jobOperations, ...teamOperations };
