import { accessControlRules } from '../../../lib/access/access-control-rules';
import { isAllowed, validateRules, type Request, type TablePrivilege } from './file-access-control';
import { TEAMS, USERS, type GeneratedTeam, type TeamUser } from './generated-teams';

/**
 * Every user against every catalog of every team's cluster, for every privilege the rules cover,
 * evaluated by an independent model of Trino's file-based access control (file-access-control.ts).
 * Each cluster holds only its own team's rules, so a user of team A meets team B's rules on team
 * B's cluster. Expected, from the roles' definitions alone: each user reaches exactly what its role
 * grants on its own team's catalogs, nothing on another team's cluster, nothing without a registered
 * group, and nobody writes to a read-only catalog.
 */

const SESSION_PROPERTIES = { system: ['query_max_run_time', 'query_max_execution_time'], catalog: ['timestamp_precision'] };
const NOT_ALLOWED = { system: 'query_max_memory', catalog: 'compression_codec' };
const TABLE_PRIVILEGES: TablePrivilege[] = ['SELECT', 'INSERT', 'DELETE', 'UPDATE', 'OWNERSHIP'];
const WRITES = new Set<Request['kind'] | TablePrivilege>(['INSERT', 'DELETE', 'UPDATE', 'OWNERSHIP', 'createSchema', 'dropSchema']);

/** What a user may ask of one cluster: each of its catalogs, `system` and two it does not have, every privilege. */
function requestsOn(team: GeneratedTeam, other: string): Request[] {
  const catalogs = [...team.catalogs, 'system', 'tpch', other];
  return [
    ...catalogs.flatMap((catalog): Request[] => [
      ...TABLE_PRIVILEGES.map((privilege): Request => ({ kind: 'table', privilege, catalog, schema: 'sales', table: 'orders' })),
      { kind: 'createSchema', catalog, schema: 'scratch' },
      { kind: 'dropSchema', catalog, schema: 'sales' },
      ...[...SESSION_PROPERTIES.catalog, NOT_ALLOWED.catalog].map((property): Request => ({ kind: 'catalogSessionProperty', catalog, property })),
    ]),
    { kind: 'executeQuery' },
    // A user's own queries are always theirs to see and kill (Trino); the question is everyone else's.
    { kind: 'viewQuery', owner: 'someone-else@example.com' },
    { kind: 'killQuery', owner: 'someone-else@example.com' },
    { kind: 'impersonate', user: 'someone-else@example.com' },
    ...[...SESSION_PROPERTIES.system, NOT_ALLOWED.system].map((property): Request => ({ kind: 'systemSessionProperty', property })),
  ];
}

/** The roles' definitions (lib/contract/query-access.ts), independent of the generator. */
function expected(user: TeamUser, team: GeneratedTeam, request: Request): boolean {
  if (user.member?.team !== team.index) return false;
  const { role } = user.member;
  const writes = role === 'writer' || role === 'admin';
  const ownCatalog = (catalog: string) => team.catalogs.includes(catalog);
  switch (request.kind) {
    case 'table':
      if (request.privilege === 'SELECT') return ownCatalog(request.catalog) || request.catalog === 'system';
      return writes && team.readWriteCatalogs.includes(request.catalog);
    case 'createSchema':
    case 'dropSchema':
      return writes && team.readWriteCatalogs.includes(request.catalog);
    case 'executeQuery':
      return true;
    case 'viewQuery':
    case 'killQuery':
      return role === 'admin';
    case 'impersonate':
      return false;
    case 'systemSessionProperty':
      return SESSION_PROPERTIES.system.includes(request.property);
    case 'catalogSessionProperty':
      return ownCatalog(request.catalog) && SESSION_PROPERTIES.catalog.includes(request.property);
  }
}

function isWriteOnReadOnly(team: GeneratedTeam, request: Request): boolean {
  const kind = request.kind === 'table' ? request.privilege : request.kind;
  if (!WRITES.has(kind) || !('catalog' in request)) return false;
  return team.catalogs.includes(request.catalog) && !team.readWriteCatalogs.includes(request.catalog);
}

interface Figures {
  requests: number;
  allows: number;
  denies: number;
  crossTeamAllows: number;
  noGroupAllows: number;
  readOnlyWrites: number;
  mismatches: string[];
}

/** Runs the matrix over the rules each team's cluster holds. */
function runMatrix(rulesOf: (team: GeneratedTeam) => unknown): Figures {
  const figures: Figures = { requests: 0, allows: 0, denies: 0, crossTeamAllows: 0, noGroupAllows: 0, readOnlyWrites: 0, mismatches: [] };
  TEAMS.forEach((team, t) => {
    const rules = rulesOf(team);
    const requests = requestsOn(team, TEAMS[(t + 1) % TEAMS.length].catalogs[0]);
    for (const user of USERS) {
      for (const request of requests) {
        const allowed = isAllowed(rules, user, request);
        figures.requests++;
        if (allowed) figures.allows++;
        else figures.denies++;
        if (allowed && user.member && user.member.team !== team.index) figures.crossTeamAllows++;
        if (allowed && !user.member) figures.noGroupAllows++;
        if (allowed && isWriteOnReadOnly(team, request)) figures.readOnlyWrites++;
        if (allowed !== expected(user, team, request) && figures.mismatches.length < 10) {
          figures.mismatches.push(`${user.user} on team ${team.index}: ${JSON.stringify(request)} ${allowed ? 'allowed' : 'denied'}`);
        }
      }
    }
  });
  return figures;
}

/** The document the engine reads: the generated rules, rendered. */
function renderedRules(team: GeneratedTeam): Record<string, Array<Record<string, unknown>>> {
  return JSON.parse(JSON.stringify(accessControlRules({ groups: team.groups, datasources: team.datasources, sessionProperties: SESSION_PROPERTIES })));
}

describe('access rules matrix: 20 generated teams, every user, every catalog of every cluster, every privilege', () => {
  test('the generated teams cover every role, both access modes, and users in no registered group', () => {
    const roles = new Set(TEAMS.flatMap((team) => team.groups.map((g) => g.role)));
    expect([...roles].sort()).toEqual(['admin', 'reader', 'writer']);
    const modes = new Set(TEAMS.flatMap((team) => team.datasources.map((ds) => ds.accessMode)));
    expect([...modes].sort()).toEqual(['read-only', 'read-write']);
    expect(TEAMS.every((team) => team.groups.length >= 1 && team.groups.length <= 3)).toBe(true);
    expect(TEAMS.every((team) => team.datasources.length >= 1 && team.datasources.length <= 3)).toBe(true);
    expect(USERS.filter((u) => !u.member).length).toBeGreaterThan(TEAMS.length);
  });

  test('every cluster reads its rules: each section and field is one Trino 476 documents', () => {
    for (const team of TEAMS) expect(validateRules(renderedRules(team))).toEqual([]);
  });

  test('each user reaches exactly what its role grants, on its own cluster only', () => {
    const figures = runMatrix(renderedRules);
    const members = USERS.filter((u) => u.member).length;
    console.log(
      `access rules matrix: ${TEAMS.length} teams, ${USERS.length} users (${members} in one registered group, ` +
        `${USERS.length - members} in none), ${figures.requests} requests, ${figures.allows} allowed, ${figures.denies} denied; ` +
        `cross-team allows ${figures.crossTeamAllows}, allows without a registered group ${figures.noGroupAllows}, ` +
        `writes to read-only catalogs ${figures.readOnlyWrites}`,
    );
    expect(figures.mismatches).toEqual([]);
    expect(figures).toMatchObject({ crossTeamAllows: 0, noGroupAllows: 0, readOnlyWrites: 0 });
    expect(figures.allows).toBeGreaterThan(0);
  });

  test('the matrix catches the mistakes it is there for: unescaped group names, writes on read-only catalogs, a section left out', () => {
    const withRules = (change: (rules: Record<string, Array<Record<string, unknown>>>, team: GeneratedTeam) => void) =>
      runMatrix((team) => {
        const rules = renderedRules(team);
        change(rules, team);
        return rules;
      });
    const unescaped = withRules((rules) => {
      for (const rule of Object.values(rules).flat()) if (typeof rule.group === 'string') rule.group = rule.group.replace(/\\/g, '');
    });
    expect(unescaped.noGroupAllows).toBeGreaterThan(0);
    const writableEverywhere = withRules((rules) => {
      for (const section of ['catalogs', 'tables'] as const) for (const rule of rules[section]) if (rule.allow === 'all' || Array.isArray(rule.privileges)) delete rule.catalog;
    });
    expect(writableEverywhere.readOnlyWrites).toBeGreaterThan(0);
    // An absent section allows everything (an empty one denies everything).
    const sectionLeftOut = withRules((rules) => {
      delete (rules as Partial<typeof rules>).queries;
    });
    expect(sectionLeftOut.noGroupAllows).toBeGreaterThan(0);
  });
});
