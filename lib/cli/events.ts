import type { Command } from 'commander';
import type { ClusterEvent } from '../contract/api';
import { withExamples } from './arguments';
import { contextOf, type CliIo } from './context';
import { formatTime, renderTable } from './output';
import { listPages, withPageOptions, type PageOptions } from './pages';

/** `sici events <clusterId>`: what happened to a cluster, oldest first. */

export const renderEvents = (events: readonly ClusterEvent[]): string =>
  renderTable(events, [
    { header: 'TIME', value: (e) => formatTime(e.time) },
    { header: 'TYPE', value: (e) => e.type },
    { header: 'JOB', value: (e) => e.jobId },
    { header: 'STATUS', value: (e) => e.status },
    { header: 'MESSAGE', value: (e) => e.message },
  ]);

export function registerEvents(program: Command, io: CliIo): void {
  withExamples(
    withPageOptions(
      program
        .command('events')
        .description("A cluster's events, oldest first: every job's steps and the status changes")
        .argument('<clusterId>', 'the cluster')
        .option('--job <jobId>', "only this job's events (reads every page)"),
      'events',
    ).action(async (clusterId: string, options: PageOptions & { job?: string }, command: Command) => {
      const ctx = contextOf(io, command);
      await listPages(
        ctx,
        { ...options, all: options.all || options.job !== undefined },
        renderEvents,
        (nextToken) => ctx.call('listClusterEvents', { params: { clusterId }, query: { limit: options.limit, nextToken } }),
        (event) => options.job === undefined || event.jobId === options.job,
      );
    }),
    'sici events c-0123456789abcdef',
    'sici events c-0123456789abcdef --job j-0123456789abcdef',
    'sici events c-0123456789abcdef --all --output json',
  );
}
