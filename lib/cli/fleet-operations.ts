import type { FleetOperation, FleetOperationAccepted } from '../contract/fleet';
import type { CommandContext } from './context';
import { CliError, EXIT } from './errors';
import { pollInterval } from './job-follow';
import { formatTime, renderFields, renderTable } from './output';
import { clean } from './problem';

/**
 * Fleet operations (a shutdown, a resume, a drift check; a cluster's suspend and resume are
 * one-cluster shutdowns and resumes): how they are shown, and `--wait`, which polls the operation
 * until it is no longer RUNNING, printing each cluster's outcome as it changes (on stderr).
 */

export function renderOperation(operation: FleetOperation | FleetOperationAccepted): string {
  const head = renderFields([
    ['operation', operation.operationId],
    ['kind', operation.kind],
    ['status', operation.status],
    ['reason', operation.reason],
    ['selector', JSON.stringify(operation.selector)],
    ['requested by', operation.requestedBy],
    ['clusters', `${operation.counts.matched} matched, ${operation.counts.pending} pending, ${operation.counts.done} done, ${operation.counts.failed} failed`],
    ['all blocked', formatTime(operation.allBlockedAt)],
    ['created', formatTime(operation.createdAt)],
    ['completed', formatTime(operation.completedAt)],
  ]);
  if (!('outcomes' in operation)) return `${head}\nFollow it with: sici fleet operation ${operation.operationId} --wait\n`;
  const outcomes = renderTable(operation.outcomes, [
    { header: 'CLUSTER', value: (o) => o.clusterId },
    { header: 'TEAM', value: (o) => o.teamId },
    { header: 'ENV', value: (o) => o.environment },
    { header: 'OUTCOME', value: (o) => o.status },
    { header: 'UPDATED', value: (o) => formatTime(o.updatedAt) },
    { header: 'DETAIL', value: (o) => o.detail },
  ]);
  return `${head}\n${outcomes}${operation.nextToken ? `(more outcomes: --next-token ${operation.nextToken})\n` : ''}`;
}

/** The operation ended with failures (exit 3). */
export class FleetOperationFailedError extends CliError {
  constructor(operation: FleetOperation) {
    const failed = operation.outcomes.filter((o) => o.status === 'FAILED').map((o) => `${o.clusterId}: ${clean(o.detail ?? 'failed')}`);
    super(`${operation.kind} ${operation.operationId} ended ${operation.status}: ${operation.counts.failed} of ${operation.counts.matched} clusters failed`, EXIT.jobFailed, failed);
    this.name = 'FleetOperationFailedError';
  }
}

/** Reads every page of the operation's outcomes. */
async function readOperation(ctx: CommandContext, operationId: string): Promise<FleetOperation> {
  let operation = (await ctx.call('getFleetOperation', { params: { operationId }, query: { limit: 100 } })).document;
  const outcomes = [...operation.outcomes];
  while (operation.nextToken) {
    operation = (await ctx.call('getFleetOperation', { params: { operationId }, query: { limit: 100, nextToken: operation.nextToken } })).document;
    outcomes.push(...operation.outcomes);
  }
  return { ...operation, outcomes, nextToken: undefined };
}

/** Follows the operation until it ends; prints it; exit 3 when it ended PARTIAL or FAILED. */
export async function waitForOperation(ctx: CommandContext, operationId: string): Promise<void> {
  const started = ctx.now();
  const shown = new Map<string, string>();
  ctx.note(`Following fleet operation ${operationId} (Ctrl-C stops following; the operation goes on)`);
  for (;;) {
    const operation = await readOperation(ctx, operationId);
    for (const outcome of operation.outcomes) {
      const line = `${outcome.status}${outcome.detail ? `: ${clean(outcome.detail)}` : ''}`;
      if (shown.get(outcome.clusterId) === line) continue;
      shown.set(outcome.clusterId, line);
      ctx.note(`  ${outcome.clusterId}  ${line}`);
    }
    if (operation.status !== 'RUNNING') {
      ctx.note(`${operation.status === 'SUCCEEDED' ? '✓' : '✗'} ${operation.kind} ${operationId} ${operation.status}`);
      ctx.print(operation, renderOperation);
      if (operation.status !== 'SUCCEEDED') throw new FleetOperationFailedError(operation);
      return;
    }
    await ctx.sleep(pollInterval(ctx.now() - started));
  }
}

/** Prints an accepted operation, or with `wait` follows it. */
export async function acceptedOperation(ctx: CommandContext, accepted: FleetOperationAccepted, wait: boolean | undefined): Promise<void> {
  if (wait) await waitForOperation(ctx, accepted.operationId);
  else ctx.print(accepted, renderOperation);
}

/**
 * `clusters suspend | resume --wait`, which a team may run: the operation itself is for admins to
 * read, so the cluster is followed until it is `until` (SUSPENDED, or ACTIVE with no suspension),
 * printing its status as it changes; a cluster that turns FAILED ends the command with exit 3.
 */
export async function waitForCluster(ctx: CommandContext, clusterId: string, until: 'SUSPENDED' | 'ACTIVE'): Promise<void> {
  const { renderCluster } = await import('./clusters');
  const started = ctx.now();
  let shown: string | undefined;
  ctx.note(`Following cluster ${clusterId} until it is ${until} (Ctrl-C stops following; the operation goes on)`);
  for (;;) {
    const cluster = (await ctx.call('getCluster', { params: { clusterId } })).document;
    const state = `${cluster.status}${cluster.suspension ? ` (suspended: ${clean(cluster.suspension.reason)})` : ''}`;
    if (state !== shown) ctx.note(`  ${clusterId}  ${state}`);
    shown = state;
    if (cluster.status === 'FAILED') throw new CliError(`cluster ${clusterId} is FAILED`, EXIT.jobFailed, [`see its events: sici events ${clusterId}`]);
    if (cluster.status === until && (until === 'SUSPENDED' || !cluster.suspension)) {
      ctx.print(cluster, renderCluster);
      return;
    }
    await ctx.sleep(pollInterval(ctx.now() - started));
  }
}
