import type { QueryGroup, QueryRole } from '../../../lib/contract/query-access';
import { QUERY_ROLES } from '../../../lib/contract/query-access';
import { catalogName, type TenantDatasource } from '../../../lib/contract/tenant-spec';
import { prng, TENANTS } from './generated-tenants';

/**
 * Teams generated from fixed seeds for the access-rule matrix: the 20 generated tenants (1 to 3
 * datasources each, read-only and read-write mixed) with 1 to 3 registered identity provider groups
 * each, every group with a role. Group names carry the characters that are special in a regular
 * expression and that IdP group names may hold (`.`, `+`, `(`, `)`), and differ across teams only in
 * a suffix, so that a rule that matched names loosely (unescaped, or by prefix) would show.
 */

export interface GeneratedTeam {
  readonly index: number;
  readonly groups: QueryGroup[];
  readonly datasources: TenantDatasource[];
  readonly catalogs: string[];
  readonly readWriteCatalogs: string[];
}

export interface TeamUser {
  readonly user: string;
  readonly groups: string[];
  /** The team and role of the one registered group the user is in; none for users in no registered group. */
  readonly member?: { readonly team: number; readonly role: QueryRole };
}

const GROUP_STEMS = ['data.eng', 'ops+oncall', 'BI (EU)', 'finance/leads', 'sre#1', 'a&b=c', 'x:y@corp', 'research_users'];

export const TEAMS: GeneratedTeam[] = TENANTS.map((tenant) => {
  const random = prng(104729 * (tenant.index + 1));
  const count = 1 + Math.floor(random() * 3);
  const stems = [...GROUP_STEMS].sort(() => random() - 0.5).slice(0, count);
  const groups = stems.map((stem) => ({ name: `${stem}-t${tenant.index}`, role: QUERY_ROLES[Math.floor(random() * QUERY_ROLES.length)] }));
  return {
    index: tenant.index,
    groups,
    datasources: tenant.datasources,
    catalogs: tenant.datasources.map((ds) => catalogName(ds.id)),
    readWriteCatalogs: tenant.datasources.filter((ds) => ds.accessMode === 'read-write').map((ds) => catalogName(ds.id)),
  };
});

const REGISTERED = new Set(TEAMS.flatMap((team) => team.groups.map((g) => g.name)));

/**
 * Names an IdP could send that a loose match would take for the group (other case, a prefix or
 * suffix, a regex metacharacter standing for another character), and that no team registered.
 */
function nearMisses(name: string): string[] {
  const misses = [`${name}x`, `x${name}`, name.toUpperCase(), name.replace(/[.+()]/g, 'X'), name.slice(0, -1)];
  return [...new Set(misses)].filter((miss) => !REGISTERED.has(miss));
}

/** One user per registered group of every team, and users in no registered group (none at all, or near misses of the groups). */
export const USERS: TeamUser[] = TEAMS.flatMap((team) => [
  ...team.groups.map((group, k) => ({ user: `u${team.index}-${k}@example.com`, groups: [group.name], member: { team: team.index, role: group.role } })),
  { user: `nobody${team.index}@example.com`, groups: [] },
  ...team.groups.flatMap((group, k) =>
    nearMisses(group.name).map((miss, m) => ({ user: `outsider${team.index}-${k}-${m}@example.com`, groups: [miss, 'everyone'] })),
  ),
]);
