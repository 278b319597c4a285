import { auditOperations } from './audit-operations';
import { clusterOperations } from './cluster-operations';
import { datasourceOperations } from './datasource-operations';
import { fleetViewOperations } from './fleet-view-operations';
import { ingestOperations } from './ingest-operations';
import { jobOperations } from './job-operations';
import type { Operations } from './operation';
import { suspensionOperations } from './suspension-operations';
import { teamOperations } from './team-operations';
import { upgradeOperations } from './upgrade-operations';
import { usageOperations } from './usage-operations';

/** Every operation of the API, for hosts that serve all routes at once (the local control plane, tests); the ingest route emits no metrics here. */
export const ALL_OPERATIONS: Operations = {
  ...clusterOperations,
  ...datasourceOperations,
  ...jobOperations,
  ...teamOperations,
  ...usageOperations,
  ...ingestOperations(),
  ...suspensionOperations,
  ...upgradeOperations,
  ...fleetViewOperations,
  ...auditOperations,
};
