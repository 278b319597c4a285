import type { QueryRole } from '../contract/query-access';
import { catalogName, type TenantDatasource, type TenantSpec } from '../contract/tenant-spec';

/**
 * The access rules of a cluster (Trino file-based system access control, `rules.json`, as documented
 * for Trino 476 at trino.io/docs/476/security/file-system-access-control.html): what the members of
 * the team's registered groups may do, by the role each group was registered with. Generated for the
 * engine's values at synth and shown to teams by the datasource setup route.
 *
 * Every section ends with a rule that matches everyone and grants nothing, so that whatever no rule
 * above grants is denied (Trino applies the first matching rule of a section; a section that is
 * absent would allow everything).
 */

export interface CatalogRule {
  group?: string;
  catalog?: string;
  allow: 'all' | 'read-only' | 'none';
}
export interface SchemaRule {
  group?: string;
  catalog?: string;
  schema?: string;
  owner: boolean;
}
export type TablePrivilege = 'SELECT' | 'INSERT' | 'DELETE' | 'UPDATE' | 'OWNERSHIP' | 'GRANT_SELECT';
export interface TableRule {
  group?: string;
  catalog?: string;
  schema?: string;
  table?: string;
  privileges: TablePrivilege[];
}
export type QueryAccess = 'execute' | 'kill' | 'view';
export interface QueryRule {
  group?: string;
  allow: QueryAccess[];
}
export interface ImpersonationRule {
  original_user?: string;
  new_user: string;
  allow: boolean;
}
export interface SystemSessionPropertyRule {
  group?: string;
  property?: string;
  allow: boolean;
}
export interface CatalogSessionPropertyRule extends SystemSessionPropertyRule {
  catalog?: string;
}
export interface SystemInformationRule {
  allow: Array<'read' | 'write'>;
}

/** The `rules.json` document, in the keys Trino reads. */
export interface AccessControlRules {
  catalogs: CatalogRule[];
  schemas: SchemaRule[];
  tables: TableRule[];
  queries: QueryRule[];
  impersonation: ImpersonationRule[];
  system_session_properties: SystemSessionPropertyRule[];
  catalog_session_properties: CatalogSessionPropertyRule[];
  system_information: SystemInformationRule[];
}

/** The session properties users may set (platform config `querySessionProperties`). */
export interface SessionPropertyAllowList {
  readonly system: readonly string[];
  readonly catalog: readonly string[];
}

export interface AccessControlInput extends Pick<TenantSpec, 'groups' | 'datasources'> {
  /** @default - no session property may be set */
  readonly sessionProperties?: SessionPropertyAllowList;
}

const WRITE_PRIVILEGES: TablePrivilege[] = ['SELECT', 'INSERT', 'DELETE', 'UPDATE', 'OWNERSHIP'];
const WRITING_ROLES: ReadonlySet<QueryRole> = new Set(['writer', 'admin']);

/** A Java regular expression that matches exactly the given names (Trino matches rules against the whole name). */
function exactly(names: readonly string[]): string {
  return names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
}

/**
 * - every registered group (`reader` and up): SELECT on every catalog of the cluster and on `system`,
 *   executes queries, sees and kills its own;
 * - `writer` and `admin`: also write, create and drop schemas and tables, in read-write catalogs only
 *   (a read-only datasource's catalog stays read-only for everyone);
 * - `admin`: also sees and kills everyone's queries;
 * - nobody impersonates anyone, reads system information, or sets a session property the platform
 *   does not list; users in no registered group get nothing at all.
 */
export function accessControlRules(input: AccessControlInput): AccessControlRules {
  const named = (roles: (role: QueryRole) => boolean) => input.groups.filter((g) => roles(g.role)).map((g) => g.name);
  const byMode = (mode: TenantDatasource['accessMode']) =>
    input.datasources.filter((ds) => ds.accessMode === mode).map((ds) => catalogName(ds.id));
  const team = named(() => true);
  const writers = named((role) => WRITING_ROLES.has(role));
  const admins = named((role) => role === 'admin');
  const readWrite = byMode('read-write');
  const all = [...byMode('read-only'), ...readWrite];
  const allowed = input.sessionProperties ?? { system: [], catalog: [] };

  const rules: AccessControlRules = {
    catalogs: [],
    schemas: [],
    tables: [],
    queries: [],
    impersonation: [],
    system_session_properties: [],
    catalog_session_properties: [],
    system_information: [],
  };
  if (team.length > 0) {
    const everyone = exactly(team);
    if (writers.length > 0 && readWrite.length > 0) {
      const group = exactly(writers);
      const catalog = exactly(readWrite);
      rules.catalogs.push({ group, catalog, allow: 'all' });
      rules.schemas.push({ group, catalog, schema: '.*', owner: true });
      rules.tables.push({ group, catalog, privileges: WRITE_PRIVILEGES });
    }
    if (all.length > 0) {
      rules.catalogs.push({ group: everyone, catalog: exactly(all), allow: 'read-only' });
      rules.tables.push({ group: everyone, catalog: exactly(all), privileges: ['SELECT'] });
    }
    rules.catalogs.push({ group: everyone, catalog: 'system', allow: 'read-only' });
    rules.tables.push({ group: everyone, catalog: 'system', privileges: ['SELECT'] });
    if (admins.length > 0) rules.queries.push({ group: exactly(admins), allow: ['execute', 'kill', 'view'] });
    // Everyone always sees and kills their own queries; without `view` and `kill` here, only their own.
    rules.queries.push({ group: everyone, allow: ['execute'] });
    if (allowed.system.length > 0) {
      rules.system_session_properties.push({ group: everyone, property: exactly(allowed.system), allow: true });
    }
    if (allowed.catalog.length > 0 && all.length > 0) {
      rules.catalog_session_properties.push({ group: everyone, catalog: exactly(all), property: exactly(allowed.catalog), allow: true });
    }
  }
  rules.catalogs.push({ allow: 'none' });
  rules.schemas.push({ owner: false });
  rules.tables.push({ privileges: [] });
  rules.queries.push({ allow: [] });
  rules.impersonation.push({ original_user: '.*', new_user: '.*', allow: false });
  rules.system_session_properties.push({ allow: false });
  rules.catalog_session_properties.push({ allow: false });
  rules.system_information.push({ allow: [] });
  return rules;
}
