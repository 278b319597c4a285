import { Option, type Command } from 'commander';
import type { AuditRecordDocument } from '../contract/fleet';
import { time, withExamples } from './arguments';
import { contextOf, type CliIo } from './context';
import { formatTime, renderTable } from './output';
import { listPages, withPageOptions, type PageOptions } from './pages';

/** `sici audit` (platform admins): the audit trail of every action, newest first. */

export const renderAudit = (records: readonly AuditRecordDocument[]): string =>
  renderTable(records, [
    { header: 'TIME', value: (r) => formatTime(r.time) },
    { header: 'ACTION', value: (r) => r.action },
    { header: 'OUTCOME', value: (r) => r.outcome },
    { header: 'STATUS', value: (r) => r.status, right: true },
    { header: 'TEAM', value: (r) => r.teamId },
    { header: 'ENTITY', value: (r) => r.entity },
    { header: 'ACTOR', value: (r) => r.actor },
  ]);

interface AuditOptions extends PageOptions {
  readonly actor?: string;
  readonly team?: string;
  readonly entity?: string;
  readonly action?: string;
  readonly outcome?: string;
  readonly from?: string;
  readonly to?: string;
  readonly csv?: boolean;
}

export function registerAudit(program: Command, io: CliIo): void {
  withExamples(
    withPageOptions(
      program
        .command('audit')
        .description('The audit trail (platform admins): every mutating call, allowed or refused, and what the workflows did; newest first')
        .option('--actor <arn>', 'only actions of this principal')
        .option('--team <teamId>', 'only actions on this team')
        .option('--entity <entity>', 'only actions on this entity, e.g. cluster/c-0123456789abcdef')
        .option('--action <action>', 'only this action, e.g. createCluster, fleetShutdown')
        .addOption(new Option('--outcome <outcome>', 'only this outcome').choices(['SUCCEEDED', 'REFUSED', 'REPLAYED', 'FAILED']))
        .option('--from <time>', 'from this UTC date or time (default: 7 days before --to)', time)
        .option('--to <time>', 'until this UTC date or time (default: now)', time)
        .option('--csv', 'print the page as the CSV the API answers'),
      'records',
    ).action(async (options: AuditOptions, command: Command) => {
      const ctx = contextOf(io, command);
      const query = (nextToken: string | undefined) => ({
        actor: options.actor,
        teamId: options.team,
        entity: options.entity,
        action: options.action,
        outcome: options.outcome,
        from: options.from,
        to: options.to,
        limit: options.limit,
        nextToken,
      });
      if (options.csv) {
        const answer = await ctx.call('listAudit', { query: query(options.nextToken), accept: 'text/csv' });
        io.stdout.write(answer.text.endsWith('\n') ? answer.text : `${answer.text}\n`);
        return;
      }
      await listPages(ctx, options, renderAudit, (nextToken) => ctx.call('listAudit', { query: query(nextToken) }));
    }),
    'sici audit --profile sici-admin',
    'sici audit --entity cluster/c-0123456789abcdef --outcome REFUSED --from 2026-11-01',
    'sici audit --action fleetShutdown --all --output json',
  );
}
