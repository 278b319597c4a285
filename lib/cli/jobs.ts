import type { Command } from 'commander';
import type { JobAccepted, ProvisioningJob } from '../contract/api';
import { withExamples } from './arguments';
import { contextOf, type CliIo, type CommandContext } from './context';
import { waitForJob } from './job-follow';
import { formatDuration, formatTime, renderFields } from './output';

/** `sici jobs get`: a provisioning job, and how accepted jobs are shown by the commands that start them. */

export function renderJob(job: ProvisioningJob): string {
  const took = job.completedAt ? formatDuration(Date.parse(job.completedAt) - Date.parse(job.startedAt)) : undefined;
  return renderFields([
    ['job', job.jobId],
    ['operation', job.operationType],
    ['status', job.status],
    ['cluster', job.clusterId],
    ['datasource', job.datasourceId],
    ['team', job.teamId],
    ['started', formatTime(job.startedAt)],
    ['completed', formatTime(job.completedAt)],
    ['took', took],
    ['failed at', job.errorDetails?.step],
    ['cause', job.errorDetails?.cause],
  ]);
}

export function renderJobAccepted(accepted: JobAccepted): string {
  return (
    renderFields([
      ['job', accepted.jobId],
      ['operation', accepted.operationType],
      ['cluster', accepted.cluster.clusterId],
      ['cluster status', accepted.cluster.status],
      ['datasource', accepted.datasource?.datasourceId],
    ]) + `\nFollow it with: sici jobs get ${accepted.jobId} --wait\n`
  );
}

/**
 * Prints an accepted job; with `wait`, follows it to its end and then prints what `show` reads
 * (the cluster or datasource as the job left it).
 */
export async function acceptedJob(ctx: CommandContext, accepted: JobAccepted, wait: boolean | undefined, show: () => Promise<void>): Promise<void> {
  if (!wait) {
    ctx.print(accepted, renderJobAccepted);
    return;
  }
  await waitForJob(ctx, accepted.jobId, show);
}

export function registerJobs(program: Command, io: CliIo): void {
  const jobs = program.command('jobs').description('Provisioning jobs: what a create, resize, delete or datasource change is doing');
  withExamples(
    jobs
      .command('get')
      .description('Show a job; with --wait, follow it to its end (exit 3 if it fails)')
      .argument('<jobId>', 'the job, e.g. j-0123456789abcdef')
      .option('--wait', "follow the job's steps until it ends")
      .action(async (jobId: string, options: { wait?: boolean }, command: Command) => {
        const ctx = contextOf(io, command);
        if (options.wait) {
          await waitForJob(ctx, jobId, async (job) => ctx.print(job, renderJob));
          return;
        }
        ctx.print((await ctx.call('getJob', { params: { jobId } })).document, renderJob);
      }),
    'sici jobs get j-0123456789abcdef',
    'sici jobs get j-0123456789abcdef --wait --profile sici-team-a',
  );
}
