import type { PutTeamRequest, Team } from '../../lib/contract/api';
import { getTeam, principalKey, teamKey } from '../core/callers';
import { conflict, notFound } from '../core/problems';
import { queryPage, transact, TransactionConflict, withoutKeys, type TransactItem } from '../core/state-store';
import { STATE_TABLE_KEYS } from '../../lib/contract/tables';
import type { OperationContext, OperationResult } from './operation';
import type { Operations } from './router';

const [GSI1] = STATE_TABLE_KEYS.indexes;
const TEAMS_PARTITION = 'TEAMS';

/**
 * Registers a team or replaces its principals and entitlements. The team, the principal → team
 * index and the audit record change in one transaction; a principal already in another team is
 * a 409, and an optimistic version check makes concurrent edits of one team safe.
 */
async function putTeam(context: OperationContext<{ teamId: string }, unknown, PutTeamRequest>): Promise<OperationResult> {
  const { deps, params, body, time } = context;
  const { stateTable } = deps.tables;
  const existing = await getTeam(deps.tables, params.teamId, true);
  const team: Team = {
    teamId: params.teamId,
    principals: body.principals,
    entitlements: body.entitlements,
    clusterCount: existing?.clusterCount ?? 0,
    createdAt: existing?.createdAt ?? time,
    updatedAt: time,
  };
  const teamItem: TransactItem = existing
    ? {
        Update: {
          TableName: stateTable,
          Key: teamKey(team.teamId),
          UpdateExpression: 'SET principals = :principals, entitlements = :entitlements, updatedAt = :now, version = version + :one',
          ConditionExpression: 'version = :version',
          ExpressionAttributeValues: {
            ':principals': team.principals,
            ':entitlements': team.entitlements,
            ':now': time,
            ':one': 1,
            ':version': existing.version,
          },
        },
      }
    : {
        Put: {
          TableName: stateTable,
          Item: { ...teamKey(team.teamId), itemType: 'team', gsi1pk: TEAMS_PARTITION, gsi1sk: `TEAM#${team.teamId}`, version: 1, ...team },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      };
  const added = team.principals.filter((principal) => !existing?.principals.includes(principal));
  const removed = (existing?.principals ?? []).filter((principal) => !team.principals.includes(principal));
  const principalItems: TransactItem[] = [
    ...added.map((principal) => ({
      Put: {
        TableName: stateTable,
        Item: { ...principalKey(principal), itemType: 'principal', teamId: team.teamId },
        ConditionExpression: 'attribute_not_exists(pk) OR teamId = :team',
        ExpressionAttributeValues: { ':team': team.teamId },
      },
    })),
    ...removed.map((principal) => ({
      Delete: {
        TableName: stateTable,
        Key: principalKey(principal),
        ConditionExpression: 'teamId = :team',
        ExpressionAttributeValues: { ':team': team.teamId },
      },
    })),
  ];
  const items = [teamItem, ...principalItems, context.audit(`team/${team.teamId}`, { added, removed, entitlements: team.entitlements })];
  try {
    await transact(deps.tables, items);
  } catch (error) {
    if (!(error instanceof TransactionConflict)) throw error;
    const taken = error.failedIndexes.filter((i) => i >= 1 && i <= added.length).map((i) => added[i - 1]);
    if (taken.length) throw conflict(`Principal(s) already registered to another team: ${taken.join(', ')}.`);
    throw conflict(`Team ${team.teamId} changed concurrently; read it again and retry.`);
  }
  return { status: 200, body: team };
}

async function getTeamOperation(context: OperationContext<{ teamId: string }>): Promise<OperationResult> {
  const team = await getTeam(context.deps.tables, context.params.teamId, true);
  if (!team) throw notFound(`Team ${context.params.teamId}`);
  const { version: _version, ...visible } = team;
  return { status: 200, body: visible };
}

async function listTeams(context: OperationContext<{}, { limit: number; nextToken?: string }>): Promise<OperationResult> {
  const page = await queryPage(
    context.deps.tables,
    {
      partition: { name: GSI1.partitionKey, value: TEAMS_PARTITION },
      IndexName: GSI1.name,
      KeyConditionExpression: '#pk = :teams',
      ExpressionAttributeNames: { '#pk': GSI1.partitionKey },
      ExpressionAttributeValues: { ':teams': TEAMS_PARTITION },
    },
    context.query,
    (item) => withoutKeys<Team>(item),
  );
  return { status: 200, body: page };
}

export const teamOperations: Operations = { putTeam, getTeam: getTeamOperation, listTeams };
