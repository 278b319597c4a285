/**
 * An evaluator of Trino's file-based system access control (`rules.json`), written from Trino's
 * documentation for release 476 (trino.io/docs/476/security/file-system-access-control.html), not
 * from SICI's generator: it reads the document as Trino would and answers whether a request is
 * allowed.
 *
 * - Each section is a list of rules read from top to bottom; the first rule that matches the user
 *   (`user` regex on the user name, `group` regex on any of the user's groups, `role` on an enabled
 *   role; an absent field matches everything) and the object decides; no matching rule denies.
 * - Regular expressions match the whole name (Java `Pattern.matches`).
 * - A section that is absent grants everything, except impersonation (denied without impersonation
 *   or principal rules) and system information (denied without rules).
 * - After the catalog rules comes an implicit rule that gives everyone the `system` catalog ("By
 *   default, all users have access to the system catalog. You can override this behavior by adding
 *   a rule").
 * - Permissions needed per statement, from the documentation's table: SELECT needs a `read-only`
 *   catalog and `SELECT`; INSERT, DELETE and UPDATE need an `all` catalog and the privilege; CREATE
 *   and DROP TABLE need an `all` catalog and `OWNERSHIP`; CREATE SCHEMA needs a `read-only` catalog
 *   and schema ownership, DROP SCHEMA an `all` catalog and ownership. Setting a catalog session
 *   property needs access to the catalog.
 * - Users always view and kill their own queries; a query rule with `queryOwner` never grants
 *   `execute`.
 *
 * Trino rejects a rules file with keys it does not know (strict JSON binding), so `validateRules`
 * checks every section and field against the documented ones.
 */

export interface Identity {
  readonly user: string;
  readonly groups: readonly string[];
}

export type TablePrivilege = 'SELECT' | 'INSERT' | 'DELETE' | 'UPDATE' | 'OWNERSHIP';

export type Request =
  | { readonly kind: 'table'; readonly privilege: TablePrivilege; readonly catalog: string; readonly schema: string; readonly table: string }
  | { readonly kind: 'createSchema' | 'dropSchema'; readonly catalog: string; readonly schema: string }
  | { readonly kind: 'executeQuery' }
  | { readonly kind: 'viewQuery' | 'killQuery'; readonly owner: string }
  | { readonly kind: 'impersonate'; readonly user: string }
  | { readonly kind: 'systemSessionProperty'; readonly property: string }
  | { readonly kind: 'catalogSessionProperty'; readonly catalog: string; readonly property: string };

type Rule = Record<string, unknown>;
type Rules = Record<string, Rule[] | undefined>;

/** The sections of rules.json and the fields of their rules, as documented. */
const SECTIONS: Record<string, readonly string[]> = {
  catalogs: ['user', 'role', 'group', 'catalog', 'allow'],
  schemas: ['user', 'role', 'group', 'catalog', 'schema', 'owner'],
  tables: ['user', 'role', 'group', 'catalog', 'schema', 'table', 'privileges', 'columns', 'filter', 'filter_environment'],
  queries: ['user', 'role', 'group', 'queryOwner', 'allow'],
  impersonation: ['original_user', 'original_role', 'new_user', 'allow'],
  principals: ['principal', 'user', 'principal_to_user', 'allow'],
  system_information: ['role', 'user', 'allow'],
  system_session_properties: ['user', 'role', 'group', 'property', 'allow'],
  catalog_session_properties: ['user', 'role', 'group', 'catalog', 'property', 'allow'],
};
const REQUIRED: Record<string, string> = {
  catalogs: 'allow',
  schemas: 'owner',
  tables: 'privileges',
  queries: 'allow',
  impersonation: 'new_user',
  system_information: 'allow',
  system_session_properties: 'allow',
  catalog_session_properties: 'allow',
};
const CATALOG_ACCESS = ['none', 'read-only', 'all'] as const;
const PRIVILEGES = ['SELECT', 'INSERT', 'DELETE', 'UPDATE', 'OWNERSHIP', 'GRANT_SELECT'];

/** The problems Trino would have reading the document (empty: it reads it). */
export function validateRules(document: unknown): string[] {
  if (!document || typeof document !== 'object' || Array.isArray(document)) return ['rules.json must be an object'];
  const problems: string[] = [];
  for (const [section, rules] of Object.entries(document)) {
    const fields = SECTIONS[section];
    if (!fields) {
      problems.push(`unknown section ${section}`);
      continue;
    }
    if (!Array.isArray(rules)) {
      problems.push(`${section} must be a list`);
      continue;
    }
    rules.forEach((rule: Rule, index: number) => {
      const where = `${section}[${index}]`;
      for (const key of Object.keys(rule)) if (!fields.includes(key)) problems.push(`${where}: unknown field ${key}`);
      if (REQUIRED[section] && rule[REQUIRED[section]] === undefined) problems.push(`${where}: ${REQUIRED[section]} is required`);
      for (const key of ['user', 'role', 'group', 'catalog', 'schema', 'table', 'property', 'queryOwner', 'original_user', 'new_user']) {
        if (rule[key] !== undefined && typeof rule[key] !== 'string') problems.push(`${where}: ${key} must be a regular expression`);
      }
      const allow = rule.allow;
      if (section === 'catalogs' && !(typeof allow === 'boolean' || CATALOG_ACCESS.includes(allow as never))) problems.push(`${where}: allow ${String(allow)}`);
      if (section === 'queries' && !(Array.isArray(allow) && allow.every((a) => ['execute', 'view', 'kill'].includes(a)))) problems.push(`${where}: allow`);
      if (section === 'system_information' && !(Array.isArray(allow) && allow.every((a) => ['read', 'write'].includes(a)))) problems.push(`${where}: allow`);
      if (section.endsWith('session_properties') && typeof allow !== 'boolean') problems.push(`${where}: allow must be a boolean`);
      if (section === 'impersonation' && allow !== undefined && typeof allow !== 'boolean') problems.push(`${where}: allow must be a boolean`);
      if (section === 'schemas' && typeof rule.owner !== 'boolean') problems.push(`${where}: owner must be a boolean`);
      if (section === 'tables' && !(Array.isArray(rule.privileges) && rule.privileges.every((p) => PRIVILEGES.includes(p)))) problems.push(`${where}: privileges`);
    });
  }
  return problems;
}

function matches(pattern: unknown, value: string): boolean {
  return pattern === undefined || new RegExp(`^(?:${pattern as string})$`).test(value);
}

/** Whether a rule applies to the identity: its user name, any of its groups; no role is enabled here, so a rule naming roles never applies. */
function appliesTo(rule: Rule, identity: Identity, userKey = 'user', roleKey = 'role'): boolean {
  return (
    matches(rule[userKey], identity.user) &&
    (rule.group === undefined || identity.groups.some((g) => matches(rule.group, g))) &&
    rule[roleKey] === undefined
  );
}

function first(rules: Rule[], predicate: (rule: Rule) => boolean): Rule | undefined {
  return rules.find(predicate);
}

type CatalogAccess = (typeof CATALOG_ACCESS)[number];

function catalogAccess(rules: Rules, identity: Identity, catalog: string): CatalogAccess {
  if (!rules.catalogs) return 'all';
  const withDefault = [...rules.catalogs, { catalog: 'system', allow: 'all' }];
  const rule = first(withDefault, (r) => appliesTo(r, identity) && matches(r.catalog, catalog));
  if (!rule) return 'none';
  if (typeof rule.allow === 'boolean') return rule.allow ? 'all' : 'none';
  return rule.allow as CatalogAccess;
}

const atLeast = (access: CatalogAccess, needed: CatalogAccess) => CATALOG_ACCESS.indexOf(access) >= CATALOG_ACCESS.indexOf(needed);

function tablePrivileges(rules: Rules, identity: Identity, catalog: string, schema: string, table: string): string[] | 'all' {
  if (!rules.tables) return 'all';
  const rule = first(rules.tables, (r) => appliesTo(r, identity) && matches(r.catalog, catalog) && matches(r.schema, schema) && matches(r.table, table));
  return (rule?.privileges as string[] | undefined) ?? [];
}

function schemaOwner(rules: Rules, identity: Identity, catalog: string, schema: string): boolean {
  if (!rules.schemas) return true;
  const rule = first(rules.schemas, (r) => appliesTo(r, identity) && matches(r.catalog, catalog) && matches(r.schema, schema));
  return rule?.owner === true;
}

function queryAccess(rules: Rules, identity: Identity, access: 'execute' | 'view' | 'kill', owner?: string): boolean {
  if (access !== 'execute' && owner === identity.user) return true;
  if (!rules.queries) return true;
  const rule = first(
    rules.queries,
    (r) => appliesTo(r, identity) && (access === 'execute' ? r.queryOwner === undefined : matches(r.queryOwner, owner!)),
  );
  return ((rule?.allow as string[] | undefined) ?? []).includes(access);
}

function sessionProperty(section: Rule[] | undefined, identity: Identity, property: string, catalog?: string): boolean {
  if (!section) return true;
  const rule = first(section, (r) => appliesTo(r, identity) && matches(r.property, property) && (catalog === undefined || matches(r.catalog, catalog)));
  return rule?.allow === true;
}

function impersonation(rules: Rules, identity: Identity, user: string): boolean {
  if (user === identity.user) return true;
  if (!rules.impersonation) return rules.principals !== undefined;
  const rule = first(rules.impersonation, (r) => appliesTo(r, identity, 'original_user', 'original_role') && matches(r.new_user, user));
  return rule !== undefined && rule.allow !== false;
}

const WRITES: ReadonlySet<TablePrivilege> = new Set(['INSERT', 'DELETE', 'UPDATE', 'OWNERSHIP']);

/** Whether Trino allows the request of the identity under the rules. */
export function isAllowed(document: unknown, identity: Identity, request: Request): boolean {
  const rules = document as Rules;
  switch (request.kind) {
    case 'table': {
      const needed = WRITES.has(request.privilege) ? 'all' : 'read-only';
      if (!atLeast(catalogAccess(rules, identity, request.catalog), needed)) return false;
      const granted = tablePrivileges(rules, identity, request.catalog, request.schema, request.table);
      return granted === 'all' || granted.includes(request.privilege);
    }
    case 'createSchema':
    case 'dropSchema': {
      const needed = request.kind === 'createSchema' ? 'read-only' : 'all';
      return atLeast(catalogAccess(rules, identity, request.catalog), needed) && schemaOwner(rules, identity, request.catalog, request.schema);
    }
    case 'executeQuery':
      return queryAccess(rules, identity, 'execute');
    case 'viewQuery':
      return queryAccess(rules, identity, 'view', request.owner);
    case 'killQuery':
      return queryAccess(rules, identity, 'kill', request.owner);
    case 'impersonate':
      return impersonation(rules, identity, request.user);
    case 'systemSessionProperty':
      return sessionProperty(rules.system_session_properties, identity, request.property);
    case 'catalogSessionProperty':
      return (
        atLeast(catalogAccess(rules, identity, request.catalog), 'read-only') &&
        sessionProperty(rules.catalog_session_properties, identity, request.property, request.catalog)
      );
  }
}
