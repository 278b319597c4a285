import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Team } from '../../lib/contract/api';
import { STATE_TABLE_KEYS } from '../../lib/contract/tables';
import { queryPage, withoutKeys, type Item, type Page, type PageRequest, type Tables, type TransactItem } from './tables';

/**
 * The team registry in the state table: `TEAM#<teamId>` / `TEAM` (listed in gsi1 under `TEAMS`),
 * with its entitlements, query groups, cluster count (the quota's usage) and a version for
 * optimistic concurrency; `PRINCIPAL#<arn>` / `PRINCIPAL`, which team an IAM principal belongs to;
 * and `GROUP#<name>` / `GROUP`, which team an identity provider group belongs to.
 */

const [TEAMS_INDEX] = STATE_TABLE_KEYS.indexes;
const TEAMS_PARTITION = 'TEAMS';

export const teamKey = (teamId: string) => ({ pk: `TEAM#${teamId}`, sk: 'TEAM' });
const principalKey = (principal: string) => ({ pk: `PRINCIPAL#${principal}`, sk: 'PRINCIPAL' });
const groupKey = (group: string) => ({ pk: `GROUP#${group}`, sk: 'GROUP' });

/** The most items one DynamoDB transaction may hold. */
const MAX_TRANSACTION_ITEMS = 100;

/** A team as stored: the API document and the version its next change must match. */
export type TeamRecord = Team & { version: number };

export async function getTeam(tables: Tables, teamId: string, consistent = false): Promise<TeamRecord | undefined> {
  const { Item } = await tables.doc.send(new GetCommand({ TableName: tables.stateTable, Key: teamKey(teamId), ConsistentRead: consistent }));
  return Item ? { ...toTeam(Item), version: Item.version as number } : undefined;
}

/** A stored team; teams registered before query groups existed have none. */
function toTeam(item: Item): Team {
  const team = withoutKeys<Team>(item);
  return { ...team, groups: team.groups ?? [] };
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
    toTeam,
  );
}

/** The transaction items of registering or replacing a team, and how to read its failed conditions. */
export interface TeamChange {
  readonly items: TransactItem[];
  readonly added: string[];
  readonly removed: string[];
  readonly addedGroups: string[];
  readonly removedGroups: string[];
  /** Whether the items fit one transaction (with `extra` more items of the caller's, e.g. its audit record). */
  fits(extra: number): boolean;
  /** The added principals whose items failed their condition: they belong to another team. */
  principalsTaken(failedIndexes: readonly number[]): string[];
  /** The added groups whose items failed their condition: they belong to another team. */
  groupsTaken(failedIndexes: readonly number[]): string[];
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
          UpdateExpression: 'SET principals = :principals, entitlements = :entitlements, #groups = :groups, updatedAt = :now, version = version + :one',
          ConditionExpression: 'version = :version',
          ExpressionAttributeNames: { '#groups': 'groups' },
          ExpressionAttributeValues: {
            ':principals': team.principals,
            ':entitlements': team.entitlements,
            ':groups': team.groups,
            ':now': team.updatedAt,
            ':one': 1,
            ':version': existing.version,
          },
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
  const names = (groups: readonly { name: string }[]) => groups.map((group) => group.name);
  const addedGroups = names(team.groups).filter((group) => !names(existing?.groups ?? []).includes(group));
  const removedGroups = names(existing?.groups ?? []).filter((group) => !names(team.groups).includes(group));
  // A principal, or a group, is claimed for one team; the claim of another team fails its condition.
  const claim = (key: Record<string, string>, itemType: string): TransactItem => ({
    Put: {
      TableName: stateTable,
      Item: { ...key, itemType, teamId: team.teamId },
      ConditionExpression: 'attribute_not_exists(pk) OR teamId = :team',
      ExpressionAttributeValues: { ':team': team.teamId },
    },
  });
  const release = (key: Record<string, string>): TransactItem => ({
    Delete: { TableName: stateTable, Key: key, ConditionExpression: 'teamId = :team', ExpressionAttributeValues: { ':team': team.teamId } },
  });
  const items: TransactItem[] = [
    teamItem,
    ...added.map((principal) => claim(principalKey(principal), 'principal')),
    ...addedGroups.map((group) => claim(groupKey(group), 'group')),
    ...removed.map((principal) => release(principalKey(principal))),
    ...removedGroups.map((group) => release(groupKey(group))),
  ];
  const claimed = (from: number, claims: string[], failed: readonly number[]) => failed.filter((i) => i >= from && i < from + claims.length).map((i) => claims[i - from]);
  return {
    items,
    added,
    removed,
    addedGroups,
    removedGroups,
    fits: (extra) => items.length + extra <= MAX_TRANSACTION_ITEMS,
    principalsTaken: (failed) => claimed(1, added, failed),
    groupsTaken: (failed) => claimed(1 + added.length, addedGroups, failed),
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
