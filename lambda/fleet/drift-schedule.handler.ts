import { Logger } from '@aws-lambda-powertools/logger';
import { auditPut } from '../core/audit-log';
import { recordDriftCheck } from '../core/drift-checks';
import { requiredEnv, tablesFromEnv } from '../core/env';
import { LambdaFleetWorkStarter } from '../core/lambda-fleet-work';
import { ProblemError } from '../core/problems';

const logger = new Logger();
const tables = tablesFromEnv();
const worker = new LambdaFleetWorkStarter(requiredEnv('fleetWorkerFunction'));

/** The principal of scheduled drift checks, as `requestedBy` and in the audit trail. */
export const DRIFT_SCHEDULE_PRINCIPAL = 'sici-drift-schedule';

/**
 * Invoked by the drift schedule (EventBridge): a DRIFT_CHECK of the whole fleet, recorded with its
 * audit record and handed to the fleet worker. A fleet with no ACTIVE or SUSPENDED cluster has
 * nothing to check; that is logged, not an error.
 */
export async function handler(event: { id?: string; time?: string }) {
  const time = new Date().toISOString();
  const requestId = `drift-schedule#${event.id ?? time}`;
  try {
    const operation = await recordDriftCheck(tables, {
      selector: { all: true },
      requestedBy: DRIFT_SCHEDULE_PRINCIPAL,
      time,
      audit: (recorded) =>
        auditPut(tables, {
          actor: DRIFT_SCHEDULE_PRINCIPAL,
          action: 'scheduledDriftCheck',
          time,
          sourceIp: 'internal',
          entity: 'fleet',
          requestId,
          outcome: 'SUCCEEDED',
          status: 202,
          metadata: { operationId: recorded.operationId, kind: recorded.kind, selector: { all: true }, matched: recorded.counts.matched },
        }),
    });
    await worker.start({ operationId: operation.operationId, kind: operation.kind });
    logger.info('drift check started', { operationId: operation.operationId, matched: operation.counts.matched });
    return { operationId: operation.operationId, matched: operation.counts.matched };
  } catch (error) {
    if (error instanceof ProblemError && error.status === 422) {
      logger.info('drift check: no cluster to check');
      return { matched: 0 };
    }
    throw error;
  }
}
