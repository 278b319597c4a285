/**
 * Key design of SICI's two DynamoDB tables, shared by the CDK stack that creates them in AWS
 * and the local control plane that creates them in dynalite, so both always agree.
 *
 * State table (single-table design), items by `pk` / `sk`:
 *   CLUSTER#<clusterId> / CLUSTER            a cluster           gsi1: TEAM#<teamId> / CLUSTER#<createdAt>#<clusterId>
 *   CLUSTER#<clusterId> / EVENT#<time>#<n>   a cluster event
 *   CLUSTER#<clusterId> / DATASOURCE#<id>    a datasource of the cluster (DELETED ones are kept for the record)
 *   JOB#<jobId>         / JOB                a provisioning job  gsi1: CLUSTER#<clusterId> / JOB#<startedAt>#<jobId>
 *   TEAM#<teamId>       / TEAM               a team, its entitlements and cluster count   gsi1: TEAMS / TEAM#<teamId>
 *   PRINCIPAL#<arn>     / PRINCIPAL          which team an IAM principal belongs to
 *   IDEMPOTENCY#<scope>#<key> / IDEMPOTENCY  the first answer to a POST with that Idempotency-Key (expires by TTL)
 *   CIDR#<environment>  / COUNTER            the environment's count of tenant VPC blocks handed out
 *   CLUSTER#<clusterId> / USAGE#<hour>       an hourly usage window, `<hour>` = `YYYY-MM-DDTHH` (UTC): query counters,
 *                                            node usage, and the version of the price table it is priced with (kept for billing)
 *   QUERY#<clusterId>#<queryId> / QUERY      a query record (expires by TTL)   gsi1: QUERIES#<clusterId> / <endTime>#<queryId>
 *   PRICES#<version>    / PRICES             a price table as it was in force (`<version>` = a digest of its content; never changed)
 *   gsi2 on jobs in flight: PENDING or RUNNING / <startedAt>#<jobId>, for the reconciler;
 *        and on RUNNING fleet operations: FLEETOP_RUNNING / <createdAt>#<operationId> (removed when it ends),
 *        for the reconciler to restart the worker of one not updated for a while
 *   gsi3 on clusters, the fleet: FLEET / <environment>#<createdAt>#<clusterId>, for the admin's fleet routes
 *   FLEETOP#<operationId> / OPERATION        a fleet operation (shutdown, resume, drift check), with the ids it matched
 *   FLEETOP#<operationId> / CLUSTER#<clusterId>  the outcome of one of its clusters
 *   FLEETOP#LATEST      / DRIFT_CHECK        the id of the fleet's latest drift check (GET /fleet/drift)
 *   UPGRADE#<upgradeId> / RUN                an upgrade run, its counters   gsi1: UPGRADES / <createdAt>#<upgradeId> (newest first;
 *                                            the reconciler reads the runs in flight there)
 *   UPGRADE#<upgradeId> / PLAN               the clusters it selected, in order (read once, by its plan step)
 *   UPGRADE#<upgradeId> / CLUSTER#<clusterId> one cluster's progress: wave, status, job, attempts, error
 *   UPGRADE#<upgradeId> / WAVE#<attempt>#<n> the cluster ids of one wave of one attempt (canary, batches, retries of busy clusters)
 *
 * Each entity's keys and expressions are built by its store module in lambda/core/ (cluster-store,
 * job-store, team-store, datasource-store, event-store, idempotency, audit-log, query-store, usage-store,
 * price-tables, fleet-operation-store, upgrade-store).
 *
 * Audit table: append-only, `pk` = the entity (e.g. `cluster/<id>`), `sk` = `<time>#<requestId>`;
 * index byActor (`actor`), index byDay (`day` = the UTC date `YYYY-MM-DD` of `time`) for reading the
 * trail newest first over a range of days.
 */
export const STATE_TABLE_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
  indexes: [
    { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    { name: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
    { name: 'gsi3', partitionKey: 'gsi3pk', sortKey: 'gsi3sk' },
  ],
} as const;

export const AUDIT_TABLE_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [
    { name: 'byActor', partitionKey: 'actor', sortKey: 'sk' },
    { name: 'byDay', partitionKey: 'day', sortKey: 'sk' },
  ],
} as const;

export type TableKeys = typeof STATE_TABLE_KEYS | typeof AUDIT_TABLE_KEYS;
