import { catalogName, type TenantDatasource, type TenantSpec } from '../contract/tenant-spec';

/**
 * The access rules of a cluster (Trino file-based system access control, `rules.json`): what each
 * of the team's groups may do with each catalog. Generated for the engine's values at synth and
 * shown to teams by the datasource setup route.
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
export interface QueryRule {
  group?: string;
  allow: Array<'execute' | 'kill' | 'view'>;
}
/** The `rules.json` document: rules apply in order, first match wins, and the last rule of each list denies. */
export interface AccessControlRules {
  catalogs: CatalogRule[];
  schemas: SchemaRule[];
  tables: TableRule[];
  queries: QueryRule[];
}

const READ_WRITE_PRIVILEGES: TablePrivilege[] = ['SELECT', 'INSERT', 'DELETE', 'UPDATE', 'OWNERSHIP'];

/** A Java regular expression that matches exactly the given names. */
function exactly(names: string[]): string {
  return names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
}

/**
 * The team's groups get their own catalogs (read-only or read-write per datasource) and read-only
 * access to the `system` catalog, which Trino clients query for metadata; everything else, for
 * everyone, is denied.
 */
export function accessControlRules(spec: Pick<TenantSpec, 'groups' | 'datasources'>): AccessControlRules {
  if (spec.groups.length === 0) return { catalogs: [{ allow: 'none' }], schemas: [{ owner: false }], tables: [{ privileges: [] }], queries: [{ allow: [] }] };
  const group = exactly(spec.groups.map((g) => g.name));
  const byMode = (mode: TenantDatasource['accessMode']) =>
    spec.datasources.filter((ds) => ds.accessMode === mode).map((ds) => catalogName(ds.id));
  const readOnly = byMode('read-only');
  const readWrite = byMode('read-write');

  const catalogRules: CatalogRule[] = [];
  const schemaRules: SchemaRule[] = [];
  const tableRules: TableRule[] = [];
  if (readWrite.length > 0) {
    catalogRules.push({ group, catalog: exactly(readWrite), allow: 'all' });
    schemaRules.push({ group, catalog: exactly(readWrite), schema: '.*', owner: true });
    tableRules.push({ group, catalog: exactly(readWrite), privileges: READ_WRITE_PRIVILEGES });
  }
  if (readOnly.length > 0) {
    catalogRules.push({ group, catalog: exactly(readOnly), allow: 'read-only' });
    tableRules.push({ group, catalog: exactly(readOnly), privileges: ['SELECT'] });
  }
  catalogRules.push({ group, catalog: 'system', allow: 'read-only' });
  tableRules.push({ group, catalog: 'system', privileges: ['SELECT'] });

  return {
    catalogs: [...catalogRules, { allow: 'none' }],
    schemas: [...schemaRules, { owner: false }],
    tables: [...tableRules, { privileges: [] }],
    queries: [{ group, allow: ['execute', 'kill', 'view'] }, { allow: [] }],
  };
}
