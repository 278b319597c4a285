import type { Command } from 'commander';
import type { Chargeback } from '../contract/usage';
import { month, withExamples } from './arguments';
import { contextOf, type CliIo } from './context';
import { formatBytes, formatMoney, formatNumber, renderTable } from './output';

/** `sici chargeback` (platform admins): what each team is charged for a month, as a table, JSON or CSV. */

export const renderChargeback = (chargeback: Chargeback): string =>
  `Chargeback for ${chargeback.month}\n\n` +
  renderTable(
    chargeback.teams,
    [
      { header: 'TEAM', value: (t) => t.teamId },
      { header: 'CLUSTERS', value: (t) => t.clusters, right: true },
      { header: 'NODE H', value: (t) => formatNumber(t.nodeHours), right: true },
      { header: 'QUERIES', value: (t) => t.queries, right: true },
      { header: 'SCANNED', value: (t) => formatBytes(t.dataScannedBytes), right: true },
      { header: 'COST', value: (t) => formatMoney(t.cost), right: true },
    ],
    chargeback.teams.length > 0 ? ['TOTAL', undefined, undefined, undefined, undefined, formatMoney(chargeback.total)] : undefined,
  );

/** The month now is in, UTC: `2026-11`. */
export const currentMonth = (now: number): string => new Date(now).toISOString().slice(0, 7);

export function registerChargeback(program: Command, io: CliIo): void {
  withExamples(
    program
      .command('chargeback')
      .description("What each team is charged for a month (platform admins): usage and cost per team")
      .option('--month <YYYY-MM>', 'the month, UTC (default: the current month)', month)
      .option('--csv', 'print the CSV the API answers (RFC 4180, a header row), e.g. for a spreadsheet')
      .action(async (options: { month?: string; csv?: boolean }, command: Command) => {
        const ctx = contextOf(io, command);
        const query = { month: options.month ?? currentMonth(ctx.now()) };
        if (options.csv) {
          const answer = await ctx.call('getChargeback', { query, accept: 'text/csv' });
          io.stdout.write(answer.text.endsWith('\n') ? answer.text : `${answer.text}\n`);
          return;
        }
        ctx.print((await ctx.call('getChargeback', { query })).document, renderChargeback);
      }),
    'sici chargeback --month 2026-11 --profile sici-admin',
    'sici chargeback --month 2026-11 --csv > chargeback-2026-11.csv',
  );
}
