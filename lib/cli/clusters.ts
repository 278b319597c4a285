import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { Cluster } from '../contract/api';
import { withExamples } from './arguments';
import { contextOf, type CliIo, type CommandContext } from './context';
import { renderOperation, waitForCluster } from './fleet-operations';
import { acceptedJob } from './jobs';
import { formatTime, renderFields, renderTable } from './output';
import { listPages, withPageOptions, type PageOptions } from './pages';

/** `sici clusters create | list | get | resize | suspend | resume | delete`. */

export function renderCluster(cluster: Cluster): string {
  return renderFields([
    ['cluster', cluster.clusterId],
    ['name', cluster.name],
    ['team', cluster.teamId],
    ['environment', cluster.environment],
    ['tier', cluster.tier],
    ['status', cluster.status],
    ['endpoint', cluster.endpoint],
    ['job in flight', cluster.activeJobId],
    ['suspended', cluster.suspension ? `${formatTime(cluster.suspension.suspendedAt)} by ${cluster.suspension.suspendedBy}: ${cluster.suspension.reason}` : undefined],
    ['vpc cidr', cluster.vpcCidr],
    ['vpc', cluster.vpcId],
    ['eks cluster', cluster.eksClusterArn],
    ['starburst role', cluster.iamRoleArn],
    ['created', formatTime(cluster.createdAt)],
    ['updated', formatTime(cluster.updatedAt)],
  ]);
}

export const renderClusters = (clusters: readonly Cluster[]): string =>
  renderTable(clusters, [
    { header: 'CLUSTER', value: (c) => c.clusterId },
    { header: 'NAME', value: (c) => c.name },
    { header: 'ENV', value: (c) => c.environment },
    { header: 'TIER', value: (c) => c.tier },
    { header: 'STATUS', value: (c) => c.status },
    { header: 'JOB', value: (c) => c.activeJobId },
    { header: 'CREATED', value: (c) => formatTime(c.createdAt) },
    { header: 'ENDPOINT', value: (c) => c.endpoint },
  ]);

/** An Idempotency-Key: the one given, or a new random one for this invocation (a retry of the same request by the API's clients is then answered once). */
export const idempotencyKey = (given: string | undefined): string => given ?? `sici-cli-${randomUUID()}`;

async function showCluster(ctx: CommandContext, clusterId: string): Promise<void> {
  ctx.print((await ctx.call('getCluster', { params: { clusterId } })).document, renderCluster);
}

export function registerClusters(program: Command, io: CliIo): void {
  const clusters = program.command('clusters').description("Your team's dedicated Starburst clusters");

  withExamples(
    clusters
      .command('create')
      .description('Create a cluster (a CREATE job provisions it); with --wait, follow it until ACTIVE')
      .requiredOption('--environment <name>', 'the environment, e.g. dev')
      .requiredOption('--tier <tier>', 'the size: S, M or L (within your entitlement)')
      .option('--name <name>', 'a label of your choosing (2-40 lowercase letters, digits, hyphens)')
      .option('--idempotency-key <key>', 'send this Idempotency-Key (default: a new random key per invocation)')
      .option('--wait', 'follow the job until the cluster is ACTIVE (exit 3 if it fails)')
      .action(async (options: { environment: string; tier: string; name?: string; idempotencyKey?: string; wait?: boolean }, command: Command) => {
        const ctx = contextOf(io, command);
        const accepted = (
          await ctx.call('createCluster', {
            body: { environment: options.environment, tier: options.tier, ...(options.name !== undefined ? { name: options.name } : {}) },
            headers: { 'idempotency-key': idempotencyKey(options.idempotencyKey) },
          })
        ).document;
        await acceptedJob(ctx, accepted, options.wait, () => showCluster(ctx, accepted.cluster.clusterId));
      }),
    'sici clusters create --environment dev --tier S --wait --profile sici-team-a',
    'sici clusters create --environment prod --tier M --name analytics --output json',
  );

  withExamples(
    withPageOptions(
      clusters
        .command('list')
        .description("List your team's clusters, newest first (DELETED ones too, for the record; --status ACTIVE for the live ones)")
        .option('--status <status>', 'only clusters in this status (PROVISIONING, ACTIVE, UPDATING, FAILED, DELETING, ...)')
        .option('--environment <name>', 'only clusters of this environment'),
      'clusters',
    ).action(async (options: PageOptions & { status?: string; environment?: string }, command: Command) => {
        const ctx = contextOf(io, command);
        await listPages(ctx, options, renderClusters, (nextToken) =>
          ctx.call('listClusters', { query: { status: options.status, environment: options.environment, limit: options.limit, nextToken } }),
        );
      }),
    'sici clusters list',
    'sici clusters list --status ACTIVE --environment dev --all --output json',
  );

  withExamples(
    clusters
      .command('get')
      .description('Show one cluster')
      .argument('<clusterId>', 'the cluster, e.g. c-0123456789abcdef')
      .action(async (clusterId: string, _options: unknown, command: Command) => showCluster(contextOf(io, command), clusterId)),
    'sici clusters get c-0123456789abcdef',
  );

  withExamples(
    clusters
      .command('resize')
      .description("Change a cluster's tier (an UPDATE job redeploys it)")
      .argument('<clusterId>', 'the cluster')
      .requiredOption('--tier <tier>', 'the new size: S, M or L')
      .option('--wait', 'follow the job until the cluster is ACTIVE again (exit 3 if it fails)')
      .action(async (clusterId: string, options: { tier: string; wait?: boolean }, command: Command) => {
        const ctx = contextOf(io, command);
        const accepted = (await ctx.call('updateCluster', { params: { clusterId }, body: { tier: options.tier } })).document;
        await acceptedJob(ctx, accepted, options.wait, () => showCluster(ctx, clusterId));
      }),
    'sici clusters resize c-0123456789abcdef --tier M --wait',
  );

  withExamples(
    clusters
      .command('suspend')
      .description('Suspend a cluster: its query endpoint is blocked at once, then its nodes are scaled to zero (SUSPENDED, costing nothing)')
      .argument('<clusterId>', 'the cluster (ACTIVE)')
      .requiredOption('--reason <text>', 'why (kept on the cluster, in its events and in the audit trail)')
      .option('--wait', 'follow it until the cluster is SUSPENDED (exit 3 if it fails)')
      .action(async (clusterId: string, options: { reason: string; wait?: boolean }, command: Command) => {
        const ctx = contextOf(io, command);
        const accepted = (await ctx.call('suspendCluster', { params: { clusterId }, body: { reason: options.reason } })).document;
        if (options.wait) await waitForCluster(ctx, clusterId, 'SUSPENDED');
        else ctx.print(accepted, renderOperation);
      }),
    'sici clusters suspend c-0123456789abcdef --reason "Not needed over the holidays" --wait',
  );

  withExamples(
    clusters
      .command('resume')
      .description('Resume a SUSPENDED cluster: its nodes are scaled back, then its endpoint unblocked')
      .argument('<clusterId>', 'the cluster (SUSPENDED)')
      .option('--wait', 'follow it until the cluster is ACTIVE again (exit 3 if it fails)')
      .action(async (clusterId: string, options: { wait?: boolean }, command: Command) => {
        const ctx = contextOf(io, command);
        const accepted = (await ctx.call('resumeCluster', { params: { clusterId } })).document;
        if (options.wait) await waitForCluster(ctx, clusterId, 'ACTIVE');
        else ctx.print(accepted, renderOperation);
      }),
    'sici clusters resume c-0123456789abcdef --wait',
  );

  withExamples(
    clusters
      .command('delete')
      .description('Delete a cluster (a DELETE job tears it down; its usage and audit history are kept)')
      .argument('<clusterId>', 'the cluster')
      .option('--wait', 'follow the job until the cluster is DELETED (exit 3 if it fails)')
      .action(async (clusterId: string, options: { wait?: boolean }, command: Command) => {
        const ctx = contextOf(io, command);
        const accepted = (await ctx.call('deleteCluster', { params: { clusterId } })).document;
        await acceptedJob(ctx, accepted, options.wait, () => showCluster(ctx, clusterId));
      }),
    'sici clusters delete c-0123456789abcdef --wait',
  );
}
