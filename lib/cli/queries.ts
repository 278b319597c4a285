import { Option, type Command } from 'commander';
import type { QueryRecord } from '../contract/usage';
import { time, withExamples } from './arguments';
import { contextOf, type CliIo } from './context';
import { formatBytes, formatDuration, formatTime, renderFields, renderTable } from './output';
import { listPages, withPageOptions, type PageOptions } from './pages';
import { clean } from './problem';

/** `sici queries <clusterId> [queryId]`: a cluster's query history, newest first, or one query in full. */

export const renderQueries = (queries: readonly QueryRecord[]): string =>
  renderTable(queries, [
    { header: 'QUERY', value: (q) => q.queryId },
    { header: 'USER', value: (q) => q.user, max: 24 },
    { header: 'STATE', value: (q) => q.state },
    { header: 'ENDED', value: (q) => formatTime(q.endTime) },
    { header: 'WALL', value: (q) => formatDuration(q.wallTimeMs), right: true },
    { header: 'CPU', value: (q) => formatDuration(q.cpuTimeMs), right: true },
    { header: 'SCANNED', value: (q) => formatBytes(q.physicalInputBytes), right: true },
    { header: 'TEXT', value: (q) => q.query, max: 60 },
  ]);

export function renderQuery(q: QueryRecord): string {
  return (
    renderFields([
      ['query', q.queryId],
      ['cluster', q.clusterId],
      ['team', q.teamId],
      ['user', q.user],
      ['principal', q.principal],
      ['source', q.source],
      ['catalog', q.catalog],
      ['schema', q.schema],
      ['state', q.state],
      ['error', q.error ? `${q.error.code} (${q.error.type})` : undefined],
      ['created', formatTime(q.createTime)],
      ['started', formatTime(q.executionStartTime)],
      ['ended', formatTime(q.endTime)],
      ['wall time', formatDuration(q.wallTimeMs)],
      ['queued', formatDuration(q.queuedTimeMs)],
      ['cpu time', formatDuration(q.cpuTimeMs)],
      ['peak memory', formatBytes(q.peakMemoryBytes)],
      ['scanned', `${formatBytes(q.physicalInputBytes)}, ${q.physicalInputRows} rows`],
      ['output', formatBytes(q.outputBytes)],
    ]) +
    // The text as it ran, line breaks kept (control characters cleaned line by line).
    `\n${q.query.split('\n').map(clean).join('\n')}\n${q.queryTruncated ? '(text cut: the record keeps its beginning only)\n' : ''}`
  );
}

export function registerQueries(program: Command, io: CliIo): void {
  withExamples(
    withPageOptions(
      program
        .command('queries')
        .description("A cluster's query history, newest first; with a query id, that query in full")
        .argument('<clusterId>', 'the cluster')
        .argument('[queryId]', 'one query, e.g. 20261201_081500_00012_abcde')
        .option('--user <user>', 'only queries of this user')
        .addOption(new Option('--state <state>', 'only queries that ended so').choices(['FINISHED', 'FAILED']))
        .option('--from <time>', 'only queries that ended at or after this UTC date or time', time)
        .option('--to <time>', 'only queries that ended before this UTC date or time', time),
      'queries',
    ).action(
      async (
        clusterId: string,
        queryId: string | undefined,
        options: PageOptions & { user?: string; state?: string; from?: string; to?: string },
        command: Command,
      ) => {
        const ctx = contextOf(io, command);
        if (queryId !== undefined) {
          ctx.print((await ctx.call('getQuery', { params: { clusterId, queryId } })).document, renderQuery);
          return;
        }
        await listPages(ctx, options, renderQueries, (nextToken) =>
          ctx.call('listQueries', {
            params: { clusterId },
            query: { user: options.user, state: options.state, from: options.from, to: options.to, limit: options.limit, nextToken },
          }),
        );
      },
    ),
    'sici queries c-0123456789abcdef --state FAILED --from 2026-11-01',
    'sici queries c-0123456789abcdef 20261201_081500_00012_abcde',
  );
}
