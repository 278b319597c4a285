import type { Command } from 'commander';
import type { ClusterUpgrade, UpgradeAccepted, UpgradeRun } from '../contract/fleet';
import { count, withExamples } from './arguments';
import { contextOf, type CliIo, type CommandContext } from './context';
import { UsageError } from './errors';
import { selectorOf, withSelectorOptions, type SelectorOptions } from './fleet-selector';
import { formatTime, renderFields, renderTable } from './output';
import { listPages, withPageOptions, type PageOptions } from './pages';

/** `sici fleet upgrade start | list | get | cancel | resume` (platform admins): upgrades in waves. */

type UpgradeSummary = Omit<UpgradeAccepted, 'links'>;

function renderUpgradeHead(run: UpgradeSummary): string {
  const c = run.counts;
  return renderFields([
    ['upgrade', run.upgradeId],
    ['status', run.status],
    ['target', run.target.engine ? `engine chart ${run.target.engine.chartVersion}, image ${run.target.engine.imageDigest}` : `source ${run.target.sourceVersion}`],
    ['selector', JSON.stringify(run.selector)],
    ['waves', `canary ${run.canary}, batches of ${run.batchSize}, ${run.maxConcurrency} at a time, halt after ${run.maxFailures} failures; ${run.wavesDone} done`],
    ['clusters', `${c.total}: ${c.succeeded} succeeded, ${c.running} running, ${c.pending} pending, ${c.failed} failed, ${c.skipped} skipped`],
    ['requested by', run.requestedBy],
    ['created', formatTime(run.createdAt)],
    ['completed', formatTime(run.completedAt)],
  ]);
}

const clusterColumns = [
  { header: 'CLUSTER', value: (u: ClusterUpgrade) => u.clusterId },
  { header: 'TEAM', value: (u: ClusterUpgrade) => u.teamId },
  { header: 'WAVE', value: (u: ClusterUpgrade) => u.wave },
  { header: 'STATUS', value: (u: ClusterUpgrade) => u.status },
  { header: 'JOB', value: (u: ClusterUpgrade) => u.jobId },
  { header: 'FAILED AT', value: (u: ClusterUpgrade) => u.errorDetails?.step },
  { header: 'CAUSE', value: (u: ClusterUpgrade) => u.errorDetails?.cause, max: 60 },
];

export function renderUpgrade(run: UpgradeRun | UpgradeAccepted): string {
  const head = renderUpgradeHead(run);
  if (!('clusters' in run)) return `${head}\nFollow it with: sici fleet upgrade get ${run.upgradeId}\n`;
  const failures = run.failures.length > 0 ? `\nfailures:\n${renderTable(run.failures, clusterColumns)}` : '';
  return `${head}\n${renderTable(run.clusters, clusterColumns)}${run.nextToken ? `(more clusters: --next-token ${run.nextToken})\n` : ''}${failures}`;
}

export const renderUpgrades = (runs: readonly UpgradeSummary[]): string =>
  renderTable(runs, [
    { header: 'UPGRADE', value: (r) => r.upgradeId },
    { header: 'STATUS', value: (r) => r.status },
    { header: 'TARGET', value: (r) => (r.target.engine ? `chart ${r.target.engine.chartVersion}` : `source ${r.target.sourceVersion}`) },
    { header: 'CLUSTERS', value: (r) => `${r.counts.succeeded}/${r.counts.total}`, right: true },
    { header: 'FAILED', value: (r) => r.counts.failed, right: true },
    { header: 'CREATED', value: (r) => formatTime(r.createdAt) },
  ]);

interface StartOptions extends SelectorOptions {
  readonly engineChart?: string;
  readonly engineDigest?: string;
  readonly sourceVersion?: string;
  readonly canary?: number;
  readonly batchSize?: number;
  readonly maxConcurrency?: number;
  readonly maxFailures?: number;
}

function targetOf(options: StartOptions) {
  const engine = options.engineChart !== undefined || options.engineDigest !== undefined;
  if (engine === (options.sourceVersion !== undefined)) throw new UsageError('give the target: --engine-chart with --engine-digest, or --source-version (one of the two)');
  if (engine) {
    if (options.engineChart === undefined || options.engineDigest === undefined) throw new UsageError('--engine-chart and --engine-digest go together');
    return { engine: { chartVersion: options.engineChart, imageDigest: options.engineDigest } };
  }
  return { sourceVersion: options.sourceVersion };
}

async function showUpgrade(ctx: CommandContext, upgradeId: string, nextToken?: string): Promise<void> {
  ctx.print((await ctx.call('getUpgrade', { params: { upgradeId }, query: { limit: 100, nextToken } })).document, renderUpgrade);
}

export function registerUpgrades(fleet: Command, io: CliIo): void {
  const upgrade = fleet.command('upgrade').description("Upgrade clusters in waves to the platform's current engine pins or source version");

  withExamples(
    withSelectorOptions(
      upgrade
        .command('start')
        .description('Start an upgrade run: canaries first, then batches of UPDATE jobs, halting past --max-failures')
        .option('--engine-chart <version>', "the platform's current engine chart version (config engine.chart.version), restated as a confirmation")
        .option('--engine-digest <sha256:...>', "the platform's current engine image digest (config engine.image.digest)")
        .option('--source-version <version>', "the control plane's current source version, restated as a confirmation")
        .option('--canary <n>', 'clusters upgraded first, alone (default 1)', count)
        .option('--batch-size <n>', 'clusters per batch (default 10)', count)
        .option('--max-concurrency <n>', 'UPDATE jobs at a time (default 10)', count)
        .option('--max-failures <n>', 'halt once more clusters than this have failed (default 0)', count),
    ).action(async (options: StartOptions, command: Command) => {
      const ctx = contextOf(io, command);
      const body = {
        target: targetOf(options),
        selector: selectorOf(options),
        ...(options.canary !== undefined ? { canary: options.canary } : {}),
        ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
        ...(options.maxConcurrency !== undefined ? { maxConcurrency: options.maxConcurrency } : {}),
        ...(options.maxFailures !== undefined ? { maxFailures: options.maxFailures } : {}),
      };
      ctx.print((await ctx.call('startUpgrade', { body })).document, renderUpgrade);
    }),
    'sici fleet upgrade start --environment dev --engine-chart 476.1.0 --engine-digest sha256:<64 hex> --profile sici-admin',
    'sici fleet upgrade start --all --source-version 1.4.0 --canary 2 --batch-size 20 --max-failures 1',
  );

  withExamples(
    withPageOptions(upgrade.command('list').description('Upgrade runs, newest first'), 'runs').action(async (options: PageOptions, command: Command) => {
      const ctx = contextOf(io, command);
      await listPages(ctx, options, renderUpgrades, (nextToken) => ctx.call('listUpgrades', { query: { limit: options.limit, nextToken } }));
    }),
    'sici fleet upgrade list --profile sici-admin',
  );

  withExamples(
    upgrade
      .command('get')
      .description('An upgrade run: its progress per cluster, and each failure with its step and cause')
      .argument('<upgradeId>', 'the run, e.g. up-0123456789abcdef')
      .option('--next-token <token>', 'the next page of its clusters')
      .action(async (upgradeId: string, options: { nextToken?: string }, command: Command) => showUpgrade(contextOf(io, command), upgradeId, options.nextToken)),
    'sici fleet upgrade get up-0123456789abcdef',
  );

  for (const [name, id, description] of [
    ['cancel', 'cancelUpgrade', 'Cancel a run: no further batch starts (jobs under way finish)'],
    ['resume', 'resumeUpgrade', 'Resume a halted or cancelled run: what succeeded is not redone'],
  ] as const) {
    withExamples(
      upgrade
        .command(name)
        .description(description)
        .argument('<upgradeId>', 'the run')
        .action(async (upgradeId: string, _options: unknown, command: Command) => {
          const ctx = contextOf(io, command);
          ctx.print((await ctx.call(id, { params: { upgradeId } })).document, renderUpgrade);
        }),
      `sici fleet upgrade ${name} up-0123456789abcdef --profile sici-admin`,
    );
  }
}
