import { accessControlRules } from '../../../lib/access/access-control-rules';
import { catalogName } from '../../../lib/contract/tenant-spec';
import { fixtureSpec } from '../../support/fixtures';
import { isAllowed, validateRules, type Identity, type Request } from './file-access-control';

const SESSION_PROPERTIES = { system: ['query_max_run_time'], catalog: ['timestamp_precision'] };
const select = (catalog: string): Request => ({ kind: 'table', privilege: 'SELECT', catalog, schema: 's', table: 't' });
const insert = (catalog: string): Request => ({ kind: 'table', privilege: 'INSERT', catalog, schema: 's', table: 't' });
const member = (group: string): Identity => ({ user: `someone@example.com`, groups: [group] });

describe('access control rules of a fixture team (L: a reader, a writer and an admin group; two read-only catalogs, one read-write)', () => {
  const spec = fixtureSpec('L');
  const rules = accessControlRules({ groups: spec.groups, datasources: spec.datasources, sessionProperties: SESSION_PROPERTIES });
  const [readOnly, readWrite, readOnly2] = spec.datasources.map((ds) => catalogName(ds.id));
  const [reader, writer, admin] = spec.groups.map((g) => member(g.name));

  test('Trino reads every section and field, and every section ends with a rule that grants nothing to anyone', () => {
    expect(validateRules(rules)).toEqual([]);
    expect(Object.keys(rules).sort()).toEqual(
      ['catalog_session_properties', 'catalogs', 'impersonation', 'queries', 'schemas', 'system_information', 'system_session_properties', 'tables'].sort(),
    );
    expect(rules.catalogs.at(-1)).toEqual({ allow: 'none' });
    expect(rules.schemas.at(-1)).toEqual({ owner: false });
    expect(rules.tables.at(-1)).toEqual({ privileges: [] });
    expect(rules.queries.at(-1)).toEqual({ allow: [] });
    expect(rules.impersonation).toEqual([{ original_user: '.*', new_user: '.*', allow: false }]);
    expect(rules.system_session_properties.at(-1)).toEqual({ allow: false });
    expect(rules.catalog_session_properties.at(-1)).toEqual({ allow: false });
    expect(rules.system_information).toEqual([{ allow: [] }]);
  });

  test('the exact catalog and table rules, in order', () => {
    expect(rules.catalogs).toEqual([
      { group: 'research_leads|research-admins', catalog: readWrite, allow: 'all' },
      { group: 'research-users|research_leads|research-admins', catalog: `${readOnly}|${readOnly2}|${readWrite}`, allow: 'read-only' },
      { group: 'research-users|research_leads|research-admins', catalog: 'system', allow: 'read-only' },
      { allow: 'none' },
    ]);
    expect(rules.schemas).toEqual([{ group: 'research_leads|research-admins', catalog: readWrite, schema: '.*', owner: true }, { owner: false }]);
    expect(rules.tables).toEqual([
      { group: 'research_leads|research-admins', catalog: readWrite, privileges: ['SELECT', 'INSERT', 'DELETE', 'UPDATE', 'OWNERSHIP'] },
      { group: 'research-users|research_leads|research-admins', catalog: `${readOnly}|${readOnly2}|${readWrite}`, privileges: ['SELECT'] },
      { group: 'research-users|research_leads|research-admins', catalog: 'system', privileges: ['SELECT'] },
      { privileges: [] },
    ]);
  });

  test('reader: SELECT everywhere on the cluster, no write anywhere', () => {
    for (const catalog of [readOnly, readWrite, readOnly2, 'system']) expect(isAllowed(rules, reader, select(catalog))).toBe(true);
    for (const catalog of [readOnly, readWrite, readOnly2, 'system']) expect(isAllowed(rules, reader, insert(catalog))).toBe(false);
    expect(isAllowed(rules, reader, { kind: 'createSchema', catalog: readWrite, schema: 'x' })).toBe(false);
  });

  test('writer and admin: writes on the read-write catalog only; read-only catalogs and system stay read-only', () => {
    for (const identity of [writer, admin]) {
      expect(isAllowed(rules, identity, insert(readWrite))).toBe(true);
      expect(isAllowed(rules, identity, { kind: 'createSchema', catalog: readWrite, schema: 'x' })).toBe(true);
      expect(isAllowed(rules, identity, { kind: 'dropSchema', catalog: readWrite, schema: 'x' })).toBe(true);
      for (const catalog of [readOnly, readOnly2, 'system']) {
        expect([catalog, isAllowed(rules, identity, insert(catalog))]).toEqual([catalog, false]);
        expect([catalog, isAllowed(rules, identity, { kind: 'createSchema', catalog, schema: 'x' })]).toEqual([catalog, false]);
        expect([catalog, isAllowed(rules, identity, select(catalog))]).toEqual([catalog, true]);
      }
    }
  });

  test('queries: everyone executes and sees their own; only the admin group sees and kills everyone\'s; nobody impersonates', () => {
    const others = { owner: 'other@example.com' };
    for (const identity of [reader, writer, admin]) {
      expect(isAllowed(rules, identity, { kind: 'executeQuery' })).toBe(true);
      expect(isAllowed(rules, identity, { kind: 'viewQuery', owner: identity.user })).toBe(true);
      expect(isAllowed(rules, identity, { kind: 'impersonate', user: 'other@example.com' })).toBe(false);
    }
    expect([reader, writer].map((identity) => isAllowed(rules, identity, { kind: 'viewQuery', ...others }))).toEqual([false, false]);
    expect([reader, writer].map((identity) => isAllowed(rules, identity, { kind: 'killQuery', ...others }))).toEqual([false, false]);
    expect(isAllowed(rules, admin, { kind: 'viewQuery', ...others })).toBe(true);
    expect(isAllowed(rules, admin, { kind: 'killQuery', ...others })).toBe(true);
  });

  test('session properties: exactly the platform\'s, system and catalog (on the team\'s catalogs)', () => {
    expect(isAllowed(rules, reader, { kind: 'systemSessionProperty', property: 'query_max_run_time' })).toBe(true);
    expect(isAllowed(rules, reader, { kind: 'systemSessionProperty', property: 'query_max_memory' })).toBe(false);
    expect(isAllowed(rules, reader, { kind: 'catalogSessionProperty', catalog: readOnly, property: 'timestamp_precision' })).toBe(true);
    expect(isAllowed(rules, reader, { kind: 'catalogSessionProperty', catalog: readOnly, property: 'compression_codec' })).toBe(false);
    expect(isAllowed(rules, reader, { kind: 'catalogSessionProperty', catalog: 'system', property: 'timestamp_precision' })).toBe(false);
  });

  test.each([[[]], [['someone-else']], [['research-users-x']], [['xresearch-users']], [['RESEARCH-USERS']], [['research_leadsX']]])(
    'groups %j get nothing at all',
    (groups) => {
      const outsider: Identity = { user: 'outsider@example.com', groups };
      for (const catalog of [readOnly, readWrite, 'system', 'tpch']) expect(isAllowed(rules, outsider, select(catalog))).toBe(false);
      expect(isAllowed(rules, outsider, { kind: 'executeQuery' })).toBe(false);
      expect(isAllowed(rules, outsider, { kind: 'systemSessionProperty', property: 'query_max_run_time' })).toBe(false);
    },
  );
});

describe('access control rules of other shapes', () => {
  test('a group name with regex metacharacters matches itself only (M2: marketing.admins)', () => {
    const spec = fixtureSpec('M2');
    const rules = accessControlRules(spec);
    expect(rules.catalogs[0].group).toBe('marketing-analysts|marketing\\.admins');
    const readWrite = catalogName(spec.datasources[1].id);
    expect(isAllowed(rules, member('marketing.admins'), insert(readWrite))).toBe(true);
    expect(isAllowed(rules, member('marketingXadmins'), select(readWrite))).toBe(false);
  });

  test('a team of readers only gets no write rule at all (M1: one reader group, one read-write datasource)', () => {
    const spec = fixtureSpec('M1');
    const rules = accessControlRules(spec);
    expect(rules.catalogs.map((r) => r.allow)).toEqual(['read-only', 'read-only', 'none']);
    expect(rules.schemas).toEqual([{ owner: false }]);
    expect(isAllowed(rules, member('finance-analysts'), insert(catalogName(spec.datasources[0].id)))).toBe(false);
  });

  test('without datasources only system is readable, by the team only', () => {
    const rules = accessControlRules(fixtureSpec('S'));
    expect(rules.catalogs).toEqual([{ group: 'analytics-users', catalog: 'system', allow: 'read-only' }, { allow: 'none' }]);
    expect(rules.schemas).toEqual([{ owner: false }]);
  });

  test('a team without groups: nobody may do anything', () => {
    const spec = fixtureSpec('L', (doc) => {
      doc.groups = [];
    });
    const rules = accessControlRules({ ...spec, sessionProperties: SESSION_PROPERTIES });
    expect(validateRules(rules)).toEqual([]);
    expect(rules.catalogs).toEqual([{ allow: 'none' }]);
    expect(rules.queries).toEqual([{ allow: [] }]);
    expect(rules.system_session_properties).toEqual([{ allow: false }]);
  });

  test('without the session properties passed in, none may be set', () => {
    const rules = accessControlRules(fixtureSpec('L'));
    expect(rules.system_session_properties).toEqual([{ allow: false }]);
    expect(rules.catalog_session_properties).toEqual([{ allow: false }]);
  });

  test('the rules that concern one catalog, as the datasource setup route picks them, are that catalog\'s', () => {
    const spec = fixtureSpec('M2');
    const ds = spec.datasources[1];
    const rules = accessControlRules({ groups: spec.groups, datasources: [ds] });
    const concerns = (rule: { catalog?: string }) => rule.catalog !== undefined && new RegExp(`^(${rule.catalog})$`).test(catalogName(ds.id));
    expect(rules.catalogs.filter(concerns)).toEqual([
      { group: 'marketing-analysts|marketing\\.admins', catalog: catalogName(ds.id), allow: 'all' },
      { group: 'marketing-analysts|marketing\\.admins', catalog: catalogName(ds.id), allow: 'read-only' },
    ]);
  });
});
