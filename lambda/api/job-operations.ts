import { getJob } from '../core/job-store';
import { notFound } from '../core/problems';
import type { OperationContext, OperationResult, Operations } from './operation';

async function getJobOperation(context: OperationContext<'getJob'>): Promise<OperationResult<'getJob'>> {
  const job = await getJob(context.deps.tables, context.params.jobId);
  if (!job || job.teamId !== context.caller.team.teamId) throw notFound(`Job ${context.params.jobId}`);
  return { status: 200, body: job };
}

export const jobOperations: Operations<'getJob'> = { getJob: getJobOperation };
