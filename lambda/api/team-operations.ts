import type { Team } from '../../lib/contract/api';
import { auditEntity } from '../core/audit-log';
import { conflict, notFound } from '../core/problems';
import { transact, TransactionConflict } from '../core/tables';
import { getTeam, listTeams, putTeamItems, teamDocument } from '../core/team-store';
import type { OperationContext, OperationResult, Operations } from './operation';

/**
 * Registers a team or replaces its principals and entitlements. The team, the principal → team
 * index and the audit record change in one transaction; a principal already in another team is
 * a 409, and an optimistic version check makes concurrent edits of one team safe.
 */
async function putTeam(context: OperationContext<'putTeam'>): Promise<OperationResult<'putTeam'>> {
  const { deps, params, body, time } = context;
  const existing = await getTeam(deps.tables, params.teamId, true);
  const team: Team = {
    teamId: params.teamId,
    principals: body.principals,
    entitlements: body.entitlements,
    clusterCount: existing?.clusterCount ?? 0,
    createdAt: existing?.createdAt ?? time,
    updatedAt: time,
  };
  const change = putTeamItems(deps.tables, team, existing);
  try {
    await transact(deps.tables, [
      ...change.items,
      context.audit(auditEntity(team, 'teams'), { added: change.added, removed: change.removed, entitlements: team.entitlements }),
    ]);
  } catch (error) {
    if (!(error instanceof TransactionConflict)) throw error;
    const taken = change.principalsTaken(error.failedIndexes);
    if (taken.length) throw conflict(`Principal(s) already registered to another team: ${taken.join(', ')}.`);
    throw conflict(`Team ${team.teamId} changed concurrently; read it again and retry.`);
  }
  return { status: 200, body: team };
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
