import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catalogName, loadTenantSpec, parseTenantSpec, TENANT_SPEC_KIND } from '../../../lib/contract/tenant-spec';
import { documentProblems } from '../../support/document-problems';
import { FIXTURES, readFixture } from '../../support/fixtures';

const problemsOf = (document: unknown): string[] => documentProblems(() => parseTenantSpec(document, 'spec.json'), TENANT_SPEC_KIND);

describe('TenantSpec', () => {
  test.each(Object.values(FIXTURES))('fixture %s is a valid spec', (file) => {
    const spec = loadTenantSpec(file);
    expect(spec.clusterId).toMatch(/^c-[0-9a-z]{16}$/);
  });

  test('fixtures cover every tier and 0, 1, 2 and 3 datasources', () => {
    const specs = Object.values(FIXTURES).map((f) => loadTenantSpec(f));
    expect(new Set(specs.map((s) => s.tier))).toEqual(new Set(['S', 'M', 'L']));
    expect(specs.map((s) => s.datasources.length).sort()).toEqual([0, 1, 2, 3]);
  });

  test('tags default to an empty record', () => {
    const doc = readFixture('S');
    delete doc.tags;
    expect(parseTenantSpec(doc).tags).toEqual({});
  });

  test('a bad bucket ARN is reported by its field path and the file name', () => {
    const doc = readFixture('M1');
    doc.datasources[0].bucketArn = 'arn:aws:s3:::Not_A_Bucket';
    expect(() => parseTenantSpec(doc, 'specs/c-1.json')).toThrow(/specs\/c-1\.json is not a valid SICI TenantSpec/);
    expect(problemsOf(doc)).toEqual([expect.stringMatching(/^datasources\.0\.bucketArn: bucket name "Not_A_Bucket"/)]);
  });

  test.each([
    ['xn--bucket', /reserved by S3/],
    ['data-s3alias', /reserved by S3/],
    ['ab', /3 to 63/],
    ['-leading-hyphen', /3 to 63/],
    ['dotted.bucket', /3 to 63/],
  ])('bucket name %s is rejected', (bucket, message) => {
    const doc = readFixture('M1');
    doc.datasources[0].bucketArn = `arn:aws:s3:::${bucket}`;
    expect(problemsOf(doc).join('\n')).toMatch(message);
  });

  test.each([
    ['data/*', /no wildcard/],
    ['/absolute/', /must not start with a slash/],
    ['a/../b/', /"\.\."/],
    ['a//b/', /empty segment/],
    ['', /at least 1|>=1|too small/i],
  ])('prefix %j is rejected', (prefix, message) => {
    const doc = readFixture('M1');
    doc.datasources[0].prefixes = [prefix];
    const problems = problemsOf(doc);
    expect(problems.every((p) => p.startsWith('datasources.0.prefixes.0:'))).toBe(true);
    expect(problems.join('\n')).toMatch(message);
  });

  test('an empty prefix list is rejected', () => {
    const doc = readFixture('M1');
    doc.datasources[0].prefixes = [];
    expect(problemsOf(doc)).toEqual([expect.stringMatching(/^datasources\.0\.prefixes:/)]);
  });

  test('unknown keys are rejected at every level', () => {
    const doc = readFixture('M1');
    doc.adminOverride = true;
    doc.datasources[0].policy = '*';
    doc.ingest.token = 'plaintext';
    const problems = problemsOf(doc).join('\n');
    expect(problems).toMatch(/\(root\): .*adminOverride/);
    expect(problems).toMatch(/datasources\.0: .*policy/);
    expect(problems).toMatch(/ingest: .*token/);
  });

  test('duplicate datasource ids are rejected', () => {
    const doc = readFixture('M2');
    doc.datasources[1].id = doc.datasources[0].id;
    expect(problemsOf(doc)).toEqual([expect.stringMatching(/^datasources\.1\.id: duplicates datasources\.0\.id/)]);
  });

  test('the same bucket and prefix in two datasources is rejected', () => {
    const doc = readFixture('M2');
    doc.datasources[1].bucketArn = doc.datasources[0].bucketArn;
    doc.datasources[1].prefixes = ['other/', doc.datasources[0].prefixes[1]];
    expect(problemsOf(doc)).toEqual([
      expect.stringMatching(/^datasources\.1\.prefixes\.1: bucket and prefix .* already belong to datasources\.0/),
    ]);
  });

  test('a prefix is kept in its folder form, so that sales and sales/ of one bucket are one folder', () => {
    const doc = readFixture('M2');
    doc.datasources[0].prefixes = ['sales', 'raw/2026'];
    expect(parseTenantSpec(doc).datasources[0].prefixes).toEqual(['sales/', 'raw/2026/']);
    doc.datasources[1].bucketArn = doc.datasources[0].bucketArn;
    doc.datasources[1].prefixes = ['sales/'];
    expect(problemsOf(doc)).toEqual([expect.stringMatching(/^datasources\.1\.prefixes\.0: bucket and prefix \S+ sales\/ already belong to datasources\.0/)]);
  });

  test('a bucket name where its ARN belongs is one problem, which says how to write it', () => {
    const doc = readFixture('M1');
    doc.datasources[0].bucketArn = 'team-a-lake';
    expect(problemsOf(doc)).toEqual(['datasources.0.bucketArn: an S3 bucket ARN such as arn:aws:s3:::my-bucket (got a bucket name: use arn:aws:s3:::team-a-lake)']);
  });

  test('the same prefix of different buckets is fine', () => {
    const doc = readFixture('M2');
    doc.datasources[1].prefixes = [doc.datasources[0].prefixes[0]];
    expect(() => parseTenantSpec(doc)).not.toThrow();
  });

  test('a role outside the external account is rejected', () => {
    const doc = readFixture('M1');
    doc.datasources[0].roleArn = 'arn:aws:iam::999999999999:role/elsewhere';
    expect(problemsOf(doc)).toEqual([expect.stringMatching(/^datasources\.0\.roleArn: must be a role in externalAccountId 444444444444/)]);
  });

  test.each(['short', 'has spaces in it but is long enough to pass the length', 'x'.repeat(129)])(
    'external id %j is rejected',
    (externalId) => {
      const doc = readFixture('M1');
      doc.datasources[0].externalId = externalId;
      expect(problemsOf(doc)).toEqual([expect.stringMatching(/^datasources\.0\.externalId:/)]);
    },
  );

  test.each([
    ['10.64.0.0/12', /\/16 to \/24/],
    ['10.64.0.0/25', /\/16 to \/24/],
    ['10.64.1.0/20', /host bits zero/],
    ['10.64.0.0', /.+/],
  ])('vpcCidr %s is rejected', (cidr, message) => {
    const doc = readFixture('S');
    doc.vpcCidr = cidr;
    const problems = problemsOf(doc);
    expect(problems.every((p) => p.startsWith('vpcCidr:'))).toBe(true);
    expect(problems.join('\n')).toMatch(message);
  });

  test('ingest endpoint must be https and the token secret name must carry the cluster id', () => {
    const doc = readFixture('S');
    doc.ingest.endpoint = 'http://ingest.example.com/';
    doc.ingest.tokenSecretName = 'sici/shared-token';
    const problems = problemsOf(doc);
    expect(problems).toEqual([
      expect.stringMatching(/^ingest\.endpoint: an https:\/\/ URL/),
      expect.stringMatching(/^ingest\.tokenSecretName: must contain the cluster id c-s0000000000000a1/),
    ]);
    doc.ingest.endpoint = 'https://ingest.example.com/';
    expect(problemsOf(doc)).toEqual([expect.stringMatching(/^ingest\.tokenSecretName: must contain the cluster id/)]);
  });

  test('reserved or malformed tag keys and unknown engine kinds are rejected', () => {
    const doc = readFixture('S');
    doc.tags = { 'sici:team': 'someone-else', 'bad{key}': 'x' };
    doc.engine.kind = 'presto';
    const problems = problemsOf(doc).join('\n');
    expect(problems).toMatch(/tags\.sici:team: keys starting with aws: or sici: are reserved/);
    expect(problems).toMatch(/tags\.bad\{key\}: a tag key of/);
    expect(problems).toMatch(/engine\.kind:/);
  });

  test('a group listed twice is rejected', () => {
    const doc = readFixture('S');
    doc.groups = [
      { name: 'analytics-users', role: 'reader' },
      { name: 'analytics-users', role: 'admin' },
    ];
    expect(problemsOf(doc)).toEqual(['groups.1.name: group analytics-users is listed twice']);
  });

  test('a group needs a name the identity provider could send and one of the query roles', () => {
    const doc = readFixture('S');
    doc.groups = [{ name: ' padded', role: 'owner' }, { name: 'tab\there', role: 'reader' }, { name: 'x'.repeat(257), role: 'reader' }];
    expect(problemsOf(doc).map((p) => p.split(':')[0]).sort()).toEqual(['groups.0.name', 'groups.0.role', 'groups.1.name', 'groups.2.name']);
  });

  test('a spec may have no group: nobody may query its cluster', () => {
    const doc = readFixture('S');
    doc.groups = [];
    expect(problemsOf.bind(null, doc)).toThrow('expected the SICI TenantSpec to be refused');
  });

  test('loadTenantSpec names the file when it is missing or not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tenant-spec-'));
    expect(() => loadTenantSpec(join(dir, 'missing.json'))).toThrow(/missing\.json is not a valid SICI TenantSpec:\n {2}- cannot be read \(ENOENT\)/);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ "clusterId": ');
    expect(() => loadTenantSpec(broken)).toThrow(/broken\.json is not a valid SICI TenantSpec:\n {2}- is not JSON/);
  });

  test('catalog names are SQL identifiers derived from datasource ids', () => {
    expect(catalogName('ds-0123456789abcdef')).toBe('ds_0123456789abcdef');
  });
});
