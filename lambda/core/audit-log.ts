import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ProvisioningJob } from '../../lib/contract/api';
import type { Tables, TransactItem } from './tables';

/**
 * The append-only audit trail: one record per mutating call, allowed or refused. Writers only
 * ever put new records (`attribute_not_exists`); nothing updates or deletes one.
 */
export type AuditOutcome = 'SUCCEEDED' | 'REFUSED' | 'REPLAYED' | 'FAILED';

export interface AuditRecord {
  /** The IAM principal that called, or `anonymous`. */
  actor: string;
  teamId?: string;
  /** The operation, e.g. `createCluster`. */
  action: string;
  time: string;
  sourceIp: string;
  /** What the call acted on, e.g. `cluster/c-…`, `team/analytics`, or the collection `clusters`. */
  entity: string;
  requestId: string;
  outcome: AuditOutcome;
  /** HTTP status answered. */
  status: number;
  metadata?: Record<string, unknown>;
}

/**
 * The entity a record is kept under, from the ids a call names: `cluster/<id>`,
 * `cluster/<id>/datasource/<id>`, `team/<id>`; a call that names none (or none that parsed as an id
 * SICI issues) is kept under its collection, e.g. `clusters`.
 */
export function auditEntity(ids: { readonly clusterId?: string; readonly datasourceId?: string; readonly teamId?: string }, collection: string): string {
  if (ids.clusterId) return `cluster/${ids.clusterId}${ids.datasourceId ? `/datasource/${ids.datasourceId}` : ''}`;
  if (ids.teamId) return `team/${ids.teamId}`;
  return collection;
}

function auditItem(record: AuditRecord) {
  return { pk: record.entity, sk: `${record.time}#${record.requestId}`, day: record.time.slice(0, 10), ...record };
}

/** The audit record as one item of the transaction that makes the change it records. */
export function auditPut(tables: Tables, record: AuditRecord): TransactItem {
  return {
    Put: { TableName: tables.auditTable, Item: auditItem(record), ConditionExpression: 'attribute_not_exists(pk)' },
  };
}

/** A record on its own, for calls that changed nothing (refused, replayed). */
export async function appendAudit(tables: Tables, record: AuditRecord): Promise<void> {
  await tables.doc.send(
    new PutCommand({ TableName: tables.auditTable, Item: auditItem(record), ConditionExpression: 'attribute_not_exists(pk)' }),
  );
}

/** The actor of the workflow's own audit records. */
export const WORKFLOW_ACTOR = 'sici-workflow';

/** The record of a change the workflow makes to a job, in the transaction that makes it. */
export function workflowAuditPut(
  tables: Tables,
  job: Pick<ProvisioningJob, 'jobId' | 'clusterId' | 'teamId' | 'operationType'>,
  action: string,
  time: string,
  metadata: Record<string, unknown>,
): TransactItem {
  return auditPut(tables, {
    actor: WORKFLOW_ACTOR,
    teamId: job.teamId,
    action: `workflow.${action}`,
    time,
    sourceIp: 'internal',
    entity: auditEntity(job, 'clusters'),
    requestId: `${job.jobId}#${action}`,
    outcome: 'SUCCEEDED',
    status: 200,
    metadata: { jobId: job.jobId, operationType: job.operationType, ...metadata },
  });
}
