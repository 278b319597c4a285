import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Team } from '../../lib/contract/api';
import { STATE_TABLE_KEYS } from '../../lib/contract/tables';
import { queryPage, withoutKeys, type Page, type PageRequest, type Tables, type TransactItem } from './tables';

/**
 * The team registry in the state table: `TEAM#<teamId>` / `TEAM` (listed in gsi1 under `TEAMS`),
 * with its entitlements, its cluster count (the quota's usage) and a version for optimistic
 * concurrency; and `PRINCIPAL#<arn>` / `PRINCIPAL`, which team an IAM principal belongs to.
 */

const [TEAMS_INDEX] = STATE_TABLE_KEYS.indexes;
const TEAMS_PARTITION = 'TEAMS';

export const teamKey = (teamId: string) => ({ pk: `TEAM#${teamId}`, sk: 'TEAM' });
const principalKey = (principal: string) => ({ pk: `PRINCIPAL#${principal}`, sk: 'PRINCIPAL' });

/** A team as stored: the API document and the version its next change must match. */
export type TeamRecord = Team & { version: number };

export async function getTeam(tables: Tables, teamId: string, consistent = false): Promise<TeamRecord | undefined> {
  const { Item } = await tables.doc.send(new GetCommand({ TableName: tables.stateTable, Key: teamKey(teamId), ConsistentRead: consistent }));
  return Item ? { ...withoutKeys<Team>(Item), version: Item.version as number } : undefined;
}

/** The team document without the bookkeeping. */
export function teamDocument({ version: _version, ...team }: TeamRecord): Team {
  return team;
}

export async function teamOfPrincipal(tables: Tables, principal: string): Promise<string | undefined> {
  const { Item } = await tables.doc.send(new GetCommand({ TableName: tables.stateTable, Key: principalKey(principal) }));
  return Item?.teamId as string | undefined;
}

export function listTeams(tables: Tables, page: PageRequest): Promise<Page<Team>> {
  return queryPage(
    tables,
    {
      partition: { name: TEAMS_INDEX.partitionKey, value: TEAMS_PARTITION },
      IndexName: TEAMS_INDEX.name,
      KeyConditionExpression: '#pk = :teams',
      ExpressionAttributeNames: { '#pk': TEAMS_INDEX.partitionKey },
      ExpressionAttributeValues: { ':teams': TEAMS_PARTITION },
    },
    page,
    (item) => withoutKeys<Team>(item),
  );
}

/** The transaction items of registering or replacing a team, and how to read its failed conditions. */
export interface TeamChange {
  readonly items: TransactItem[];
  readonly added: string[];
  readonly removed: string[];
  /** The added principals whose items failed their condition: they belong to another team. */
  principalsTaken(failedIndexes: readonly number[]): string[];
}

/**
 * A team is created, or replaced if its version is still `existing`'s; each added principal is
 * claimed for it (refused if another team holds it), each removed one released.
 */
export function putTeamItems(tables: Tables, team: Team, existing?: TeamRecord): TeamChange {
  const { stateTable } = tables;
  const teamItem: TransactItem = existing
    ? {
        Update: {
          TableName: stateTable,
          Key: teamKey(team.teamId),
          UpdateExpression: 'SET principals = :principals, entitlements = :entitlements, updatedAt = :now, version = version + :one',
          ConditionExpression: 'version = :version',
          ExpressionAttributeValues: { ':principals': team.principals, ':entitlements': team.entitlements, ':now': team.updatedAt, ':one': 1, ':version': existing.version },
        },
      }
    : {
        Put: {
          TableName: stateTable,
          Item: { ...teamKey(team.teamId), itemType: 'team', [TEAMS_INDEX.partitionKey]: TEAMS_PARTITION, [TEAMS_INDEX.sortKey]: `TEAM#${team.teamId}`, version: 1, ...team },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      };
  const added = team.principals.filter((principal) => !existing?.principals.includes(principal));
  const removed = (existing?.principals ?? []).filter((principal) => !team.principals.includes(principal));
  const items: TransactItem[] = [
    teamItem,
    ...added.map((principal) => ({
      Put: {
        TableName: stateTable,
        Item: { ...principalKey(principal), itemType: 'principal', teamId: team.teamId },
        ConditionExpression: 'attribute_not_exists(pk) OR teamId = :team',
        ExpressionAttributeValues: { ':team': team.teamId },
      },
    })),
    ...removed.map((principal) => ({
      Delete: { TableName: stateTable, Key: principalKey(principal), ConditionExpression: 'teamId = :team', ExpressionAttributeValues: { ':team': team.teamId } },
    })),
  ];
  return {
    items,
    added,
    removed,
    principalsTaken: (failed) => failed.filter((i) => i >= 1 && i <= added.length).map((i) => added[i - 1]),
  };
}

/** One more cluster counts against the team's quota; the condition fails (the first item of its transaction) when the quota is used up. */
export function takeQuotaItem(tables: Tables, teamId: string): TransactItem {
  return {
    Update: {
      TableName: tables.stateTable,
      Key: teamKey(teamId),
      UpdateExpression: 'SET clusterCount = clusterCount + :one',
      ConditionExpression: 'attribute_exists(pk) AND clusterCount < entitlements.maxClusters',
      ExpressionAttributeValues: { ':one': 1 },
    },
  };
}

/** A deleted cluster gives its unit of the quota back. */
export function releaseQuotaItem(tables: Tables, teamId: string): TransactItem {
  return {
    Update: {
      TableName: tables.stateTable,
      Key: teamKey(teamId),
      UpdateExpression: 'SET clusterCount = clusterCount - :one',
      ConditionExpression: 'clusterCount > :zero',
      ExpressionAttributeValues: { ':one': 1, ':zero': 0 },
    },
  };
}
