import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadPlatformConfig } from '../config/load-platform-config';
import { DocumentError } from '../contract/documents';
import type { ClusterUpgrade, UpgradeAccepted, UpgradeRun } from '../contract/fleet';
import { count, withExamples } from './arguments';
import { contextOf, type CliIo, type CommandContext } from './context';
import { CliError, EXIT, UsageError } from './errors';
import { pollInterval } from './job-follow';
import { selectorOf, withSelectorOptions, type SelectorOptions } from './fleet-selector';
import { formatTime, renderFields, renderTable } from './output';
import { listPages, withPageOptions, type PageOptions } from './pages';
import { clean } from './problem';

/** `sici fleet upgrade start | list | get | cancel | resume` (platform admins): upgrades in waves. */

type UpgradeSummary = Omit<UpgradeAccepted, 'links'>;

function renderUpgradeHead(run: UpgradeSummary): string {
  const c = run.counts;
  return renderFields([
    ['upgrade', run.upgradeId],
    ['status', run.haltReason ? `${run.status}: ${run.haltReason}` : run.status],
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
  if (!('clusters' in run)) return `${head}\nFollow it with: sici fleet upgrade get ${run.upgradeId} --wait\n`;
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
  readonly engineFrom?: string;
  readonly sourceVersion?: string;
  readonly canary?: number;
  readonly batchSize?: number;
  readonly maxConcurrency?: number;
  readonly maxFailures?: number;
}

/** The engine pins of a platform configuration file (the control plane still refuses them unless they are the deployed ones). */
function enginePinsOf(file: string) {
  try {
    const { engine } = loadPlatformConfig(file);
    return { engine: { chartVersion: engine.chart.version, imageDigest: engine.image.digest } };
  } catch (error) {
    if (error instanceof DocumentError) throw new UsageError(`--engine-from: ${error.source} is not a valid ${error.kind}`, error.problems);
    throw error;
  }
}

function targetOf(options: StartOptions, cwd: string) {
  const engine = options.engineChart !== undefined || options.engineDigest !== undefined;
  const given = [engine, options.engineFrom !== undefined, options.sourceVersion !== undefined].filter(Boolean).length;
  if (given !== 1) throw new UsageError('give the target: --engine-chart with --engine-digest, --engine-from <config file>, or --source-version (one of them)');
  if (options.engineFrom !== undefined) return enginePinsOf(resolve(cwd, options.engineFrom));
  if (engine) {
    if (options.engineChart === undefined || options.engineDigest === undefined) throw new UsageError('--engine-chart and --engine-digest go together');
    return { engine: { chartVersion: options.engineChart, imageDigest: options.engineDigest } };
  }
  return { sourceVersion: options.sourceVersion };
}

async function showUpgrade(ctx: CommandContext, upgradeId: string, nextToken?: string): Promise<void> {
  ctx.print((await ctx.call('getUpgrade', { params: { upgradeId }, query: { limit: 100, nextToken } })).document, renderUpgrade);
}

/** A run that halted: its failures, each with its step and cause (exit 3). */
export class UpgradeHaltedError extends CliError {
  constructor(run: UpgradeRun) {
    const failed = run.failures.map((f) => `${f.clusterId}: ${f.errorDetails ? `${f.errorDetails.step}: ${clean(f.errorDetails.cause)}` : f.status}`);
    super(`upgrade ${run.upgradeId} HALTED: ${run.counts.failed} of ${run.counts.total} clusters failed (more than ${run.maxFailures}); fix them, then: sici fleet upgrade resume ${run.upgradeId}`, EXIT.jobFailed, failed);
    this.name = 'UpgradeHaltedError';
  }
}

/** Follows a run until it ends (each wave and cluster change on stderr); prints it; exit 3 when it HALTED. */
async function waitForUpgrade(ctx: CommandContext, upgradeId: string): Promise<void> {
  const started = ctx.now();
  const shown = new Map<string, string>();
  ctx.note(`Following upgrade ${upgradeId} (Ctrl-C stops following; the run goes on)`);
  for (;;) {
    const run = (await ctx.call('getUpgrade', { params: { upgradeId }, query: { limit: 100 } })).document;
    for (const cluster of [...run.clusters, ...run.failures]) {
      const line = `${cluster.wave}  ${cluster.status}${cluster.errorDetails ? `: ${cluster.errorDetails.step}: ${clean(cluster.errorDetails.cause)}` : ''}`;
      if (shown.get(cluster.clusterId) === line) continue;
      shown.set(cluster.clusterId, line);
      ctx.note(`  ${cluster.clusterId}  ${line}`);
    }
    if (run.status !== 'RUNNING' && run.status !== 'CANCELLING') {
      ctx.note(`${run.status === 'HALTED' ? '✗' : '✓'} upgrade ${upgradeId} ${run.status} after ${Math.round((ctx.now() - started) / 1000)} s`);
      ctx.print(run, renderUpgrade);
      if (run.status === 'HALTED') throw new UpgradeHaltedError(run);
      return;
    }
    await ctx.sleep(pollInterval(ctx.now() - started));
  }
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
        .option('--engine-from <config file>', 'instead of --engine-chart and --engine-digest: the engine pins of this platform configuration, e.g. config/platform.json as deployed')
        .option('--source-version <version>', "the control plane's current source version, restated as a confirmation")
        .option('--canary <n>', 'clusters upgraded first, alone (default 1)', count)
        .option('--batch-size <n>', 'clusters per batch (default 10)', count)
        .option('--max-concurrency <n>', 'UPDATE jobs at a time (default 10)', count)
        .option('--max-failures <n>', 'halt once more clusters than this have failed (default 0)', count)
        .option('--wait', 'follow the run until it ends; exit 3 when it halts'),
    ).action(async (options: StartOptions & { wait?: boolean }, command: Command) => {
      const ctx = contextOf(io, command);
      const body = {
        target: targetOf(options, io.cwd),
        selector: selectorOf(options),
        ...(options.canary !== undefined ? { canary: options.canary } : {}),
        ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
        ...(options.maxConcurrency !== undefined ? { maxConcurrency: options.maxConcurrency } : {}),
        ...(options.maxFailures !== undefined ? { maxFailures: options.maxFailures } : {}),
      };
      const accepted = (await ctx.call('startUpgrade', { body })).document;
      if (options.wait) await waitForUpgrade(ctx, accepted.upgradeId);
      else ctx.print(accepted, renderUpgrade);
    }),
    'sici fleet upgrade start --environment dev --engine-chart 476.1.0 --engine-digest sha256:<64 hex> --profile sici-admin',
    'sici fleet upgrade start --environment dev --engine-from config/platform.json --wait',
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
      .option('--wait', 'follow the run until it ends; exit 3 when it halts')
      .action(async (upgradeId: string, options: { nextToken?: string; wait?: boolean }, command: Command) =>
        options.wait ? waitForUpgrade(contextOf(io, command), upgradeId) : showUpgrade(contextOf(io, command), upgradeId, options.nextToken),
      ),
    'sici fleet upgrade get up-0123456789abcdef --wait',
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
        .option('--wait', 'follow the run until it ends; exit 3 when it halts')
        .action(async (upgradeId: string, options: { wait?: boolean }, command: Command) => {
          const ctx = contextOf(io, command);
          const answer = (await ctx.call(id, { params: { upgradeId } })).document;
          if (options.wait) await waitForUpgrade(ctx, upgradeId);
          else ctx.print(answer, renderUpgrade);
        }),
      `sici fleet upgrade ${name} up-0123456789abcdef --profile sici-admin`,
    );
  }
}
