import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  GLUE_READ_ACTIONS,
  GLUE_WRITE_ACTIONS,
  glueCatalogArns,
  ownerKeysArn,
  S3_ENCRYPTION_CONTEXT_KEY,
} from '../../../lib/access/catalog-and-key-access';
import {
  bucketPolicySidPrefix,
  bucketPolicyVariant,
  DENY_INSECURE_TRANSPORT_SID,
  ownerCatalogAndKeyPolicy,
  ownerRolePolicy,
  ownerRoleTrustPolicy,
} from '../../../lib/access/owner-documents';
import type { PolicyStatement } from '../../../lib/access/policy-document';
import { DocumentError } from '../../../lib/contract/documents';
import { folderPrefixes, listPrefixPatterns, objectArns } from '../../../lib/access/s3-access';
import { tenantAssumeBoundaryStatements, tenantAssumeStatements, tenantTagSessionStatements } from '../../../lib/access/tenant-assume-policy';

const STARBURST = 'arn:aws:iam::111111111111:role/TenantStack-c-0123456789abcdef-StarburstRoleABCD-1234';
const EXTERNAL_ID = `sici-${'ab'.repeat(24)}`;
const BUCKET = 'arn:aws:s3:::owner-lake';
const DS_ROLE = 'arn:aws:iam::555555555555:role/sici-ds-0123456789abcdef';
const OWNER = { externalAccountId: '555555555555', region: 'eu-west-1' };

type AccessInput = Omit<Parameters<typeof ownerRolePolicy>[0], keyof typeof OWNER>;
const rolePolicy = (access: AccessInput) => ownerRolePolicy({ ...access, ...OWNER });
const isS3 = (s: PolicyStatement) => [s.Action].flat().every((a) => a.startsWith('s3:'));
const s3Part = (access: AccessInput) => rolePolicy(access).Statement.filter(isS3);

describe('prefix rules', () => {
  test('a prefix names a folder: with or without the slash, never a sibling with the same start', () => {
    expect(folderPrefixes(['sales', 'events/'])).toEqual(['events/', 'sales/']);
    expect(objectArns(BUCKET, ['sales'])).toEqual([`${BUCKET}/sales/*`]);
    expect(listPrefixPatterns(['sales'])).toEqual(['sales/*']);
  });

  test('duplicates and folders inside a listed folder are dropped; siblings are kept', () => {
    expect(folderPrefixes(['a/b/', 'a', 'a/', 'ab/', 'a/b/c'])).toEqual(['a/', 'ab/']);
  });

  test.each([
    ['a wildcard', 'sales/*'],
    ['a question mark', 'sales/?'],
    ['a policy variable', 'sales/${aws:username}/'],
    ['a leading slash', '/sales/'],
    ['a .. segment', 'sales/../hr/'],
    ['an empty segment', 'sales//x/'],
    ['a space', 'sales x/'],
    ['an empty prefix', ''],
  ])('%s is refused', (_, prefix) => {
    expect(() => rolePolicy({ bucketArn: BUCKET, prefixes: [prefix], accessMode: 'read-only' })).toThrow(DocumentError);
    expect(() => rolePolicy({ bucketArn: BUCKET, prefixes: [prefix], accessMode: 'read-only' })).toThrow(/prefixes\.0/);
    expect(() => ownerCatalogAndKeyPolicy({ bucketArn: BUCKET, prefixes: [prefix], accessMode: 'read-only', ...OWNER })).toThrow(/prefixes\.0/);
  });

  test('no prefixes at all is refused: a datasource never gets the whole bucket', () => {
    expect(() => rolePolicy({ bucketArn: BUCKET, prefixes: [], accessMode: 'read-only' })).toThrow(/prefixes/);
  });

  test.each([['arn:aws:s3:::owner-lake/sub'], ['arn:aws:s3:::Owner_Lake'], ['arn:aws:s3:::*'], ['arn:aws:iam::1:role/x']])('bucket ARN %s is refused', (bucketArn) => {
    expect(() => rolePolicy({ bucketArn, prefixes: ['a/'], accessMode: 'read-only' })).toThrow(/bucketArn/);
  });

  test.each([
    ['an account id that is not 12 digits', { externalAccountId: '5555', region: 'eu-west-1' }, /externalAccountId/],
    ['an account wildcard', { externalAccountId: '*', region: 'eu-west-1' }, /externalAccountId/],
    ['a region wildcard', { externalAccountId: '555555555555', region: '*' }, /region/],
    ['no region', { externalAccountId: '555555555555' }, /region/],
  ])('the Glue and KMS statements refuse %s', (_, owner, message) => {
    const input = { bucketArn: BUCKET, prefixes: ['a/'], accessMode: 'read-only', ...owner } as Parameters<typeof ownerRolePolicy>[0];
    expect(() => ownerRolePolicy(input)).toThrow(message);
    expect(() => ownerCatalogAndKeyPolicy(input)).toThrow(message);
  });
});

describe('owner trust policy', () => {
  test('only the Starburst role, AssumeRole only with the ExternalId, TagSession for its transitive tags', () => {
    expect(ownerRoleTrustPolicy({ starburstRoleArn: STARBURST, externalId: EXTERNAL_ID })).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'SiciStarburstAssumeWithExternalId',
          Effect: 'Allow',
          Principal: { AWS: STARBURST },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'sts:ExternalId': EXTERNAL_ID } },
        },
        { Sid: 'SiciStarburstTransitiveSessionTags', Effect: 'Allow', Principal: { AWS: STARBURST }, Action: 'sts:TagSession' },
      ],
    });
  });

  test.each([
    ['an account root', { starburstRoleArn: 'arn:aws:iam::111111111111:root', externalId: EXTERNAL_ID }, /starburstRoleArn/],
    ['a wildcard principal', { starburstRoleArn: '*', externalId: EXTERNAL_ID }, /starburstRoleArn/],
    ['a short ExternalId', { starburstRoleArn: STARBURST, externalId: 'abc' }, /externalId/],
    ['an ExternalId with a wildcard', { starburstRoleArn: STARBURST, externalId: `${'a'.repeat(40)}*` }, /externalId/],
  ])('%s is refused', (_, input, message) => {
    expect(() => ownerRoleTrustPolicy(input)).toThrow(message);
  });
});

describe('owner role policy: S3', () => {
  test('read-only: list within the prefixes and read objects under them, nothing else', () => {
    expect(s3Part({ bucketArn: BUCKET, prefixes: ['sales', 'events/'], accessMode: 'read-only' })).toEqual([
      {
        Sid: 'ListWithinPrefixes',
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: BUCKET,
        Condition: { StringLike: { 's3:prefix': ['events/*', 'sales/*'] } },
      },
      { Sid: 'ReadObjects', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`${BUCKET}/events/*`, `${BUCKET}/sales/*`] },
    ]);
  });

  test('read-write adds put, delete and abort of multipart uploads on the same objects', () => {
    const statements = s3Part({ bucketArn: BUCKET, prefixes: ['sales/'], accessMode: 'read-write' });
    expect(statements.map((s) => s.Sid)).toEqual(['ListWithinPrefixes', 'ReadObjects', 'WriteObjects']);
    expect(statements[2]).toEqual({
      Sid: 'WriteObjects',
      Effect: 'Allow',
      Action: ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
      Resource: [`${BUCKET}/sales/*`],
    });
  });

  test('no wildcard action, no Principal, every resource inside the bucket', () => {
    for (const accessMode of ['read-only', 'read-write'] as const) {
      for (const s of s3Part({ bucketArn: BUCKET, prefixes: ['a/', 'b'], accessMode })) {
        for (const action of [s.Action].flat()) expect(action).not.toMatch(/\*/);
        for (const resource of [s.Resource ?? []].flat()) expect(resource === BUCKET || resource.startsWith(`${BUCKET}/`)).toBe(true);
        expect(s.Principal).toBeUndefined();
        expect(s.Effect).toBe('Allow');
      }
    }
  });
});

describe('owner role policy: Glue catalog and KMS keys', () => {
  const catalog = ['arn:aws:glue:eu-west-1:555555555555:catalog', 'arn:aws:glue:eu-west-1:555555555555:database/*', 'arn:aws:glue:eu-west-1:555555555555:table/*/*'];
  const keyUse = (actions: string[]) => ({
    Sid: 'UseKeysThroughS3UnderPrefixes',
    Effect: 'Allow',
    Action: actions,
    Resource: 'arn:aws:kms:eu-west-1:555555555555:key/*',
    Condition: {
      StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' },
      // The objects under the prefixes, and the bucket itself for buckets with S3 Bucket Keys.
      StringLike: { 'kms:EncryptionContext:aws:s3:arn': [`${BUCKET}/events/*`, `${BUCKET}/sales/*`, BUCKET] },
    },
  });

  test('read-only: Glue reads on the owner catalog in the region, kms:Decrypt through S3 for the prefixes', () => {
    expect(ownerCatalogAndKeyPolicy({ bucketArn: BUCKET, prefixes: ['sales', 'events/'], accessMode: 'read-only', ...OWNER }).Statement).toEqual([
      { Sid: 'ReadGlueCatalog', Effect: 'Allow', Action: [...GLUE_READ_ACTIONS], Resource: catalog },
      keyUse(['kms:Decrypt']),
    ]);
  });

  test('read-write adds the Glue table, partition and statistics writes, and kms:GenerateDataKey', () => {
    expect(ownerCatalogAndKeyPolicy({ bucketArn: BUCKET, prefixes: ['sales', 'events/'], accessMode: 'read-write', ...OWNER }).Statement).toEqual([
      { Sid: 'ReadGlueCatalog', Effect: 'Allow', Action: [...GLUE_READ_ACTIONS], Resource: catalog },
      { Sid: 'WriteGlueTables', Effect: 'Allow', Action: [...GLUE_WRITE_ACTIONS], Resource: catalog },
      keyUse(['kms:Decrypt', 'kms:GenerateDataKey']),
    ]);
  });

  test('the Glue actions are the metastore calls, never a database write nor a wildcard', () => {
    expect(GLUE_READ_ACTIONS).toEqual(expect.arrayContaining(['glue:GetDatabase', 'glue:GetTables', 'glue:GetPartitions', 'glue:BatchGetPartition']));
    expect(GLUE_WRITE_ACTIONS).toEqual(expect.arrayContaining(['glue:CreateTable', 'glue:UpdateTable', 'glue:DeleteTable', 'glue:BatchCreatePartition']));
    for (const action of [...GLUE_READ_ACTIONS, ...GLUE_WRITE_ACTIONS]) expect(action).toMatch(/^glue:[A-Za-z]+$/);
    for (const action of ['glue:CreateDatabase', 'glue:UpdateDatabase', 'glue:DeleteDatabase']) expect(GLUE_WRITE_ACTIONS).not.toContain(action);
    expect(GLUE_READ_ACTIONS.filter((a) => (GLUE_WRITE_ACTIONS as readonly string[]).includes(a))).toEqual([]);
  });

  test('the role policy is its S3 statements followed by exactly the Glue and KMS policy', () => {
    for (const accessMode of ['read-only', 'read-write'] as const) {
      const access = { bucketArn: BUCKET, prefixes: ['a/', 'b'], accessMode };
      const statements = rolePolicy(access).Statement;
      const catalogAndKeys = ownerCatalogAndKeyPolicy({ ...access, ...OWNER }).Statement;
      expect(statements).toEqual([...s3Part(access), ...catalogAndKeys]);
      expect(catalogAndKeys.filter(isS3)).toEqual([]);
      expect(new Set(statements.map((s) => s.Sid)).size).toBe(statements.length);
    }
  });

  test('the partition of every ARN is that of the bucket ARN', () => {
    const access = { bucketArn: 'arn:aws-cn:s3:::owner-lake', prefixes: ['sales/'], accessMode: 'read-only' as const, externalAccountId: '555555555555', region: 'cn-north-1' };
    expect(glueCatalogArns(access)).toEqual([
      'arn:aws-cn:glue:cn-north-1:555555555555:catalog',
      'arn:aws-cn:glue:cn-north-1:555555555555:database/*',
      'arn:aws-cn:glue:cn-north-1:555555555555:table/*/*',
    ]);
    expect(ownerKeysArn(access)).toBe('arn:aws-cn:kms:cn-north-1:555555555555:key/*');
    const keys = ownerCatalogAndKeyPolicy(access).Statement.at(-1)!;
    expect(keys.Condition?.StringLike?.[S3_ENCRYPTION_CONTEXT_KEY]).toEqual(['arn:aws-cn:s3:::owner-lake/sales/*', 'arn:aws-cn:s3:::owner-lake']);
  });
});

describe('bucket policy variant', () => {
  const input = { bucketArn: BUCKET, prefixes: ['sales/'], accessMode: 'read-write' as const, datasourceId: 'ds-0123456789abcdef', roleArn: DS_ROLE };

  test("the role policy's statements with the datasource role as principal, named after the datasource, and a TLS-only deny", () => {
    const policy = bucketPolicyVariant(input);
    const own = s3Part({ bucketArn: input.bucketArn, prefixes: input.prefixes, accessMode: input.accessMode });
    const prefix = bucketPolicySidPrefix(input.datasourceId);
    expect(prefix).toBe('SiciDs0123456789abcdef');
    expect(policy.Statement.slice(0, -1)).toEqual(own.map((s) => ({ ...s, Sid: `${prefix}${s.Sid}`, Principal: { AWS: DS_ROLE } })));
    expect(policy.Statement.at(-1)).toEqual({
      Sid: DENY_INSECURE_TRANSPORT_SID,
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: [BUCKET, `${BUCKET}/*`],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
  });

  test('S3 only: the Glue and KMS statements stay in the role policy', () => {
    for (const accessMode of ['read-only', 'read-write'] as const) {
      for (const s of bucketPolicyVariant({ ...input, accessMode }).Statement) expect([s.Action].flat().every((a) => a.startsWith('s3:'))).toBe(true);
    }
  });

  test('a principal other than an IAM role is refused', () => {
    expect(() => bucketPolicyVariant({ ...input, roleArn: '*' })).toThrow(/roleArn/);
    expect(() => bucketPolicyVariant({ ...input, roleArn: 'arn:aws:iam::555555555555:root' })).toThrow(/roleArn/);
  });
});

describe('tenant statements', () => {
  const datasources = [
    { id: 'ds-0000000000000001', roleArn: DS_ROLE, externalId: EXTERNAL_ID },
    { id: 'ds-0000000000000002', roleArn: 'arn:aws:iam::666666666666:role/p/r', externalId: `sici-${'cd'.repeat(24)}` },
  ];

  test('one AssumeRole statement per datasource, each with its own ExternalId', () => {
    expect(tenantAssumeStatements(datasources)).toEqual([
      { Sid: 'Assumeds0000000000000001', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: DS_ROLE, Condition: { StringEquals: { 'sts:ExternalId': EXTERNAL_ID } } },
      {
        Sid: 'Assumeds0000000000000002',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: 'arn:aws:iam::666666666666:role/p/r',
        Condition: { StringEquals: { 'sts:ExternalId': datasources[1].externalId } },
      },
    ]);
  });

  test('no datasource, no statement', () => {
    expect(tenantAssumeStatements([])).toEqual([]);
    expect(tenantAssumeBoundaryStatements([])).toEqual([]);
    expect(tenantTagSessionStatements([])).toEqual([]);
  });

  test('the boundary and TagSession statements name exactly the datasource roles', () => {
    expect(tenantAssumeBoundaryStatements(datasources)).toEqual([
      { Sid: 'AssumeApprovedDatasourceRoles', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: datasources.map((d) => d.roleArn) },
    ]);
    expect(tenantTagSessionStatements(datasources)).toEqual([
      { Sid: 'TagSessionsOfApprovedDatasourceRoles', Effect: 'Allow', Action: 'sts:TagSession', Resource: datasources.map((d) => d.roleArn) },
    ]);
  });
});

test('lib/access is pure TypeScript: no aws-cdk-lib, no constructs', () => {
  const dir = join(__dirname, '..', '..', '..', 'lib', 'access');
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  expect(files.length).toBeGreaterThan(4);
  for (const file of files) expect(readFileSync(join(dir, file), 'utf8')).not.toMatch(/from '(aws-cdk-lib|constructs)/);
});
