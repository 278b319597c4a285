import { Option, type Command } from 'commander';
import type { UsageRecord, UsageReport } from '../contract/usage';
import { time, withExamples } from './arguments';
import { contextOf, type CliIo } from './context';
import { formatBytes, formatMoney, formatNumber, formatTime, renderTable } from './output';

/** `sici usage <clusterId>`: what a cluster used, and its estimated cost, per hour, day or month. */

const nodeHours = (record: UsageRecord) => Object.values(record.nodeHours).reduce((sum, hours) => sum + hours, 0);

export function renderUsage(report: UsageReport): string {
  const windows = renderTable(
    report.windows,
    [
      { header: 'WINDOW', value: (r) => formatTime(r.timeWindow.start) },
      { header: 'CLUSTER H', value: (r) => formatNumber(r.clusterHours), right: true },
      { header: 'NODE H', value: (r) => formatNumber(nodeHours(r)), right: true },
      { header: 'vCPU H', value: (r) => formatNumber(r.cpuUsage.vcpuHours), right: true },
      { header: 'GiB H', value: (r) => formatNumber(r.memoryUsage.gibHours), right: true },
      { header: 'QUERY CPU S', value: (r) => formatNumber(r.cpuUsage.queryCpuSeconds), right: true },
      { header: 'QUERIES', value: (r) => r.queryCount, right: true },
      { header: 'FAILED', value: (r) => r.failedQueryCount, right: true },
      { header: 'SCANNED', value: (r) => formatBytes(r.dataScanned.bytes), right: true },
      { header: 'EST. COST', value: (r) => formatMoney(r.estimatedCost), right: true },
    ],
    report.windows.length > 0
      ? [
          'TOTAL',
          formatNumber(report.totals.clusterHours),
          formatNumber(nodeHours(report.totals)),
          formatNumber(report.totals.cpuUsage.vcpuHours),
          formatNumber(report.totals.memoryUsage.gibHours),
          formatNumber(report.totals.cpuUsage.queryCpuSeconds),
          report.totals.queryCount,
          report.totals.failedQueryCount,
          formatBytes(report.totals.dataScanned.bytes),
          formatMoney(report.totals.estimatedCost),
        ]
      : undefined,
  );
  const byType = Object.entries(report.totals.nodeHours)
    .map(([type, hours]) => `${type} ${formatNumber(hours)} h`)
    .join(', ');
  return (
    `Usage of ${report.clusterId} from ${formatTime(report.from)} to ${formatTime(report.to)}, per ${report.granularity}\n\n` +
    windows +
    (byType ? `\nnode hours by instance type: ${byType}\n` : '') +
    `estimated cost: ${formatMoney(report.totals.estimatedCost) ?? '-'}\n`
  );
}

export function registerUsage(program: Command, io: CliIo): void {
  withExamples(
    program
      .command('usage')
      .description("A cluster's usage (cluster, node, vCPU and memory hours, queries, data scanned) and estimated cost")
      .argument('<clusterId>', 'the cluster')
      .option('--from <time>', 'start of the range, a UTC date or time (default: 30 days before --to)', time)
      .option('--to <time>', 'end of the range, exclusive (default: now)', time)
      .addOption(new Option('--granularity <unit>', 'one line per hour, day or month (default: day)').choices(['hour', 'day', 'month']))
      .action(async (clusterId: string, options: { from?: string; to?: string; granularity?: string }, command: Command) => {
        const ctx = contextOf(io, command);
        const answer = await ctx.call('getClusterUsage', {
          params: { clusterId },
          query: { from: options.from, to: options.to, granularity: options.granularity },
        });
        ctx.print(answer.document, renderUsage);
      }),
    'sici usage c-0123456789abcdef',
    'sici usage c-0123456789abcdef --from 2026-11-01 --to 2026-12-01 --granularity month',
    'sici usage c-0123456789abcdef --granularity hour --from 2026-11-22 --output json',
  );
}
