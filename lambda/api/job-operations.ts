import { getJob } from '../core/cluster-store';
import { notFound } from '../core/problems';
import { teamOf } from './cluster-operations';
import type { OperationContext, OperationResult } from './operation';
import type { Operations } from './router';

async function getJobOperation(context: OperationContext<{ jobId: string }>): Promise<OperationResult> {
  const job = await getJob(context.deps.tables, context.params.jobId);
  if (!job || job.teamId !== teamOf(context).teamId) throw notFound(`Job ${context.params.jobId}`);
  return { status: 200, body: job };
}

export const jobOperations: Operations = { getJob: getJobOperation };
