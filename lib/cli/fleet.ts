import { Option, type Command } from 'commander';
import type { DriftReport, FleetCluster } from '../contract/fleet';
import { withExamples } from './arguments';
import { contextOf, type CliIo } from './context';
import { acceptedOperation, renderOperation, waitForOperation } from './fleet-operations';
import { selectorOf, withSelectorOptions, type SelectorOptions } from './fleet-selector';
import { formatTime, renderTable } from './output';
import { listPages, withPageOptions, type PageOptions } from './pages';
import { registerUpgrades } from './upgrades';

/** `sici fleet clusters | shutdown | resume | drift | operation | upgrade` (platform admins): the whole fleet. */

const engineOf = (c: FleetCluster) => (c.engine ? `${c.engine.trinoRelease} (${c.engine.chartVersion})` : undefined);
const skewOf = (c: FleetCluster) => (c.skew.behind ? [c.skew.engine && `engine -${c.skew.engine.trinoReleasesBehind}`, c.skew.source && `source ${c.skew.source.behind}`].filter(Boolean).join(', ') || 'behind' : 'current');

export const renderFleetClusters = (clusters: readonly FleetCluster[]): string =>
  renderTable(clusters, [
    { header: 'CLUSTER', value: (c) => c.clusterId },
    { header: 'TEAM', value: (c) => c.teamId },
    { header: 'ENV', value: (c) => c.environment },
    { header: 'TIER', value: (c) => c.tier },
    { header: 'STATUS', value: (c) => c.status },
    { header: 'ENGINE', value: engineOf },
    { header: 'SKEW', value: skewOf },
    { header: 'DRIFT', value: (c) => c.drift?.status },
    { header: 'SUSPENDED', value: (c) => (c.suspension ? `${formatTime(c.suspension.suspendedAt)} ${c.suspension.reason}` : undefined), max: 50 },
  ]);

export function renderDrift(report: DriftReport): string {
  const { counts, lastCheck } = report;
  return (
    `in sync ${counts.inSync}, drifted ${counts.drifted}, unknown ${counts.unknown}, never checked ${counts.neverChecked}, behind ${counts.behind}\n` +
    `last check: ${lastCheck ? `${lastCheck.operationId} ${lastCheck.status} at ${formatTime(lastCheck.createdAt)}` : 'none'}\n\n` +
    // The report lists only the clusters needing attention: a bare "(none)" would read as no clusters at all.
    `drifted, unknown or behind:\n${renderFleetClusters(report.items)}` +
    (report.nextToken ? `(more: sici fleet drift --next-token ${report.nextToken})\n` : '')
  );
}

const booleanChoice = (flag: string, description: string) => new Option(flag, description).choices(['true', 'false']);

export function registerFleet(program: Command, io: CliIo): void {
  const fleet = program.command('fleet').description("Every team's clusters (platform admins): emergency shutdown and resume, upgrades, drift");

  withExamples(
    withPageOptions(
      fleet
        .command('clusters')
        .description("Every team's clusters with their engine, version skew, drift and suspension")
        .option('--team <teamId>', 'only this team')
        .option('--environment <name>', 'only this environment')
        .option('--tier <tier>', 'only this tier')
        .option('--status <status>', 'only this status')
        .option('--trino-release <n>', 'only clusters whose engine runs this Trino release')
        .addOption(booleanChoice('--drifted <bool>', 'only clusters whose last drift check found drift (true) or none (false)'))
        .addOption(booleanChoice('--behind <bool>', "only clusters behind the platform's engine or source version (true), or current (false)")),
      'clusters',
    ).action(async (options: PageOptions & { team?: string; environment?: string; tier?: string; status?: string; trinoRelease?: string; drifted?: string; behind?: string }, command: Command) => {
      const ctx = contextOf(io, command);
      await listPages(ctx, options, renderFleetClusters, (nextToken) =>
        ctx.call('listFleetClusters', {
          query: {
            teamId: options.team,
            environment: options.environment,
            tier: options.tier,
            status: options.status,
            trinoRelease: options.trinoRelease,
            drifted: options.drifted,
            behind: options.behind,
            limit: options.limit,
            nextToken,
          },
        }),
      );
    }),
    'sici fleet clusters --profile sici-admin',
    'sici fleet clusters --behind true --environment prod --all --output json',
  );

  withExamples(
    withSelectorOptions(
      fleet
        .command('shutdown')
        .description('Emergency shutdown: the selected clusters stop serving queries at once (endpoint blocked), then are scaled to zero and SUSPENDED with the reason')
        .requiredOption('--reason <text>', 'why (recorded on each cluster, in its events and in the audit trail)')
        .option('--confirm-all', 'required with --all: the whole fleet stops'),
    )
      .option('--wait', 'follow the operation until every cluster is suspended (exit 3 if any fails)')
      .action(async (options: SelectorOptions & { reason: string; confirmAll?: boolean; wait?: boolean }, command: Command) => {
        const ctx = contextOf(io, command);
        const body = { reason: options.reason, selector: selectorOf(options), ...(options.confirmAll ? { confirmAll: true as const } : {}) };
        await acceptedOperation(ctx, (await ctx.call('shutdownFleet', { body })).document, options.wait);
      }),
    'sici fleet shutdown --environment dev --reason "Security incident INC-4711" --wait --profile sici-admin',
    'sici fleet shutdown --all --confirm-all --reason "Region failover drill"',
  );

  withExamples(
    withSelectorOptions(
      fleet
        .command('resume')
        .description('Resume the selected SUSPENDED clusters: nodes scaled back, then endpoints unblocked')
        .option('--reason <text>', 'why (recorded in the audit trail)'),
    )
      .option('--wait', 'follow the operation until every cluster is resumed (exit 3 if any fails)')
      .action(async (options: SelectorOptions & { reason?: string; wait?: boolean }, command: Command) => {
        const ctx = contextOf(io, command);
        const body = { selector: selectorOf(options), ...(options.reason !== undefined ? { reason: options.reason } : {}) };
        await acceptedOperation(ctx, (await ctx.call('resumeFleet', { body })).document, options.wait);
      }),
    'sici fleet resume --environment dev --wait --profile sici-admin',
  );

  withExamples(
    withSelectorOptions(
      fleet
        .command('drift')
        .description("The fleet's drift and version skew; with --check, detect drift of the selected clusters now")
        .option('--check', 'start a drift check of the selected clusters (it also runs on a schedule)')
        .option('--wait', 'with --check: follow the check to its end')
        .option('--next-token <token>', 'the next page of the clusters needing attention'),
    ).action(async (options: SelectorOptions & { check?: boolean; wait?: boolean; nextToken?: string }, command: Command) => {
      const ctx = contextOf(io, command);
      if (options.check) {
        await acceptedOperation(ctx, (await ctx.call('startDriftCheck', { body: { selector: selectorOf(options) } })).document, options.wait);
        return;
      }
      ctx.print((await ctx.call('getFleetDrift', { query: { limit: 100, nextToken: options.nextToken } })).document, renderDrift);
    }),
    'sici fleet drift --profile sici-admin',
    'sici fleet drift --check --environment prod --wait',
  );

  withExamples(
    fleet
      .command('operation')
      .description('A shutdown, resume or drift check, with each cluster\'s outcome; with --wait, follow it to its end')
      .argument('<operationId>', 'the operation (from the command that started it)')
      .option('--wait', 'follow the operation until it ends (exit 3 if any cluster fails)')
      .action(async (operationId: string, options: { wait?: boolean }, command: Command) => {
        const ctx = contextOf(io, command);
        if (options.wait) {
          await waitForOperation(ctx, operationId);
          return;
        }
        ctx.print((await ctx.call('getFleetOperation', { params: { operationId }, query: { limit: 100 } })).document, renderOperation);
      }),
    'sici fleet operation fo-0123456789abcdef --wait --profile sici-admin',
  );

  registerUpgrades(fleet, io);
}
