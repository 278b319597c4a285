import type { Team, TeamChange } from '../../lib/contract/api';
import { newJobId } from '../../lib/contract/ids';
import { auditEntity } from '../core/audit-log';
import { liveClustersOfTeam } from '../core/cluster-store';
import { acceptJobItems } from '../core/job-lifecycle';
import { newJob } from '../core/job-store';
import { badRequest, conflict, notFound } from '../core/problems';
import { transact, TransactionConflict } from '../core/tables';
import { getTeam, listTeams, putTeamItems, teamDocument } from '../core/team-store';
import { startJob } from './cluster-operations';

type ClusterUpdates = NonNullable<TeamChange['clusterUpdates']>;
import type { Dependencies, OperationContext, OperationResult, Operations } from './operation';

/**
 * Registers a team or replaces its principals, entitlements and query groups. The team, the
 * principal → team and group → team claims and the audit record change in one transaction; a
 * principal or group already in another team is a 409, and an optimistic version check makes
 * concurrent edits of one team safe. When the groups changed, each ACTIVE cluster of the team gets
 * an UPDATE job that re-renders its access rules.
 */
async function putTeam(context: OperationContext<'putTeam'>): Promise<OperationResult<'putTeam'>> {
  const { deps, params, body, time } = context;
  const existing = await getTeam(deps.tables, params.teamId, true);
  const team: Team = {
    teamId: params.teamId,
    principals: body.principals,
    entitlements: body.entitlements,
    groups: body.groups,
    clusterCount: existing?.clusterCount ?? 0,
    createdAt: existing?.createdAt ?? time,
    updatedAt: time,
  };
  const change = putTeamItems(deps.tables, team, existing);
  if (!change.fits(1)) {
    throw badRequest(
      `This change claims and releases too many principals and groups for one step (${change.added.length + change.addedGroups.length} added, ${change.removed.length + change.removedGroups.length} removed); make it in two.`,
      [{ field: 'body', message: 'at most 98 principals and groups added or removed in one call' }],
    );
  }
  try {
    await transact(deps.tables, [
      ...change.items,
      context.audit(auditEntity(team, 'teams'), {
        added: change.added,
        removed: change.removed,
        addedGroups: change.addedGroups,
        removedGroups: change.removedGroups,
        entitlements: team.entitlements,
        groups: team.groups,
      }),
    ]);
  } catch (error) {
    if (!(error instanceof TransactionConflict)) throw error;
    const principals = change.principalsTaken(error.failedIndexes);
    const groups = change.groupsTaken(error.failedIndexes);
    if (principals.length) throw conflict(`Principal(s) already registered to another team: ${principals.join(', ')}.`);
    if (groups.length) throw conflict(`Group(s) already registered to another team: ${groups.join(', ')}; an identity provider group belongs to one team.`);
    throw conflict(`Team ${team.teamId} changed concurrently; read it again and retry.`);
  }
  const groupsChanged = existing !== undefined && JSON.stringify(existing.groups) !== JSON.stringify(team.groups);
  return { status: 200, body: groupsChanged ? { ...team, clusterUpdates: await reRenderAccessRules(deps, team.teamId, time) } : team };
}

/**
 * Starts an UPDATE job on each ACTIVE cluster of the team with no job in flight: it writes the
 * cluster's TenantSpec again, with the team's groups, and redeploys. The other clusters are left as
 * they are; their next job renders the groups (the workflow reads them when it writes the spec).
 */
async function reRenderAccessRules(deps: Dependencies, teamId: string, time: string): Promise<ClusterUpdates> {
  const started: ClusterUpdates['started'] = [];
  const deferred: ClusterUpdates['deferred'] = [];
  for (const cluster of await liveClustersOfTeam(deps.tables, teamId)) {
    const defer = () => deferred.push({ clusterId: cluster.clusterId, status: cluster.status, ...(cluster.activeJobId ? { activeJobId: cluster.activeJobId } : {}) });
    if (cluster.status !== 'ACTIVE' || cluster.activeJobId) {
      defer();
      continue;
    }
    const job = newJob(cluster, newJobId(), 'UPDATE', time);
    const message = `UPDATE job ${job.jobId} accepted: the team's query groups changed, the cluster's access rules are rendered again; cluster is UPDATING`;
    try {
      await transact(deps.tables, acceptJobItems(deps.tables, cluster, job, { from: ['ACTIVE'], message }));
    } catch (error) {
      if (!(error instanceof TransactionConflict)) throw error;
      defer(); // a job started on it meanwhile
      continue;
    }
    await startJob(deps, job);
    started.push({ clusterId: cluster.clusterId, jobId: job.jobId });
  }
  return { started, deferred };
}

async function getTeamOperation(context: OperationContext<'getTeam'>): Promise<OperationResult<'getTeam'>> {
  const team = await getTeam(context.deps.tables, context.params.teamId, true);
  if (!team) throw notFound(`Team ${context.params.teamId}`);
  return { status: 200, body: teamDocument(team) };
}

async function listTeamsOperation(context: OperationContext<'listTeams'>): Promise<OperationResult<'listTeams'>> {
  return { status: 200, body: await listTeams(context.deps.tables, context.query) };
}

export const teamOperations: Operations<'putTeam' | 'getTeam' | 'listTeams'> = { putTeam, getTeam: getTeamOperation, listTeams: listTeamsOperation };
