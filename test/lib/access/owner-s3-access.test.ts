import { bucketPolicyVariant, ownerRolePolicy } from '../../../lib/access/owner-documents';
import { policyDocument, type PolicyStatement } from '../../../lib/access/policy-document';
import { folderPrefixes } from '../../../lib/access/s3-access';
import type { TenantDatasource } from '../../../lib/contract/tenant-spec';
import { ALL_BUCKET_ARNS, ALL_DATASOURCES, datasourceSessionArn, type OwnedDatasource } from './generated-tenants';
import { decide, tally, validation, type Policies, type Request } from './simulate';

/**
 * S3 access of every generated datasource role in its owner's account, through the IAM policy
 * simulator: with the role's permissions policy (`ownerRolePolicy`), and with the bucket-policy variant
 * instead, where a bucket policy holds the statements of every datasource that shares the bucket.
 */

const WRITE = ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'];
/** Actions neither document may ever allow, on the bucket or on an object under a granted prefix. */
const NEVER_ON_BUCKET = ['s3:GetBucketLocation', 's3:GetBucketPolicy', 's3:PutBucketPolicy', 's3:DeleteBucket', 's3:PutBucketAcl', 's3:ListBucketVersions', 's3:PutLifecycleConfiguration'];
const NEVER_ON_OBJECT = ['s3:GetObjectAcl', 's3:PutObjectAcl', 's3:GetObjectVersion', 's3:DeleteObjectVersion', 's3:PutObjectTagging', 's3:RestoreObject'];
const TLS = { 'aws:SecureTransport': 'true' };

const accessOf = ({ bucketArn, prefixes, accessMode }: TenantDatasource) => ({ bucketArn, prefixes, accessMode });
const ownerAccessOf = (ds: TenantDatasource) => ({ ...accessOf(ds), externalAccountId: ds.externalAccountId, region: ds.region });
const bucketName = (arn: string) => arn.slice(arn.indexOf(':::') + 3);
const objectArn = (bucketArn: string, key: string) => `${bucketArn}/${key}`;
/** A folder prefix without its slash: `t1/d0/sales-0`. */
const base = (folder: string) => folder.slice(0, -1);

function requestAs(principal: string, ds: TenantDatasource) {
  return {
    list: (prefix?: string, bucketArn = ds.bucketArn): Request => ({
      principal,
      action: 's3:ListBucket',
      resource: bucketArn,
      resourceAccount: ds.externalAccountId,
      context: prefix === undefined ? TLS : { ...TLS, 's3:prefix': prefix },
    }),
    object: (action: string, key: string, bucketArn = ds.bucketArn, context: Record<string, string> = TLS): Request => ({
      principal,
      action,
      resource: objectArn(bucketArn, key),
      resourceAccount: ds.externalAccountId,
      context,
    }),
    bucket: (action: string): Request => ({ principal, action, resource: ds.bucketArn, resourceAccount: ds.externalAccountId, context: TLS }),
  };
}

/**
 * The checks both routes must pass for one datasource, as its own role session: everything the
 * engine needs under the prefixes, nothing next to them, nothing more.
 */
async function expectExactlyItsPrefixes(ds: TenantDatasource, policiesFor: (bucketArn: string) => Policies): Promise<void> {
  const as = requestAs(datasourceSessionArn(ds), ds);
  const writable = ds.accessMode === 'read-write';
  const otherBucket = ALL_BUCKET_ARNS.find((arn) => arn !== ds.bucketArn)!;
  const bucketOf = (arn: string) => arn.split('/')[0];
  const verdict = async (request: Request) => [request.action, request.resource, request.context?.['s3:prefix'], await decide(request, policiesFor(bucketOf(request.resource)))];
  const allowedOnes: unknown[] = [];
  const deniedOnes: unknown[] = [];
  const expectAllowed = async (request: Request) => allowedOnes.push(await verdict(request));
  const expectDenied = async (request: Request) => deniedOnes.push(await verdict(request));

  for (const folder of folderPrefixes(ds.prefixes)) {
    await expectAllowed(as.list(folder));
    await expectAllowed(as.list(`${folder}year=2025/`));
    await expectAllowed(as.object('s3:GetObject', `${folder}part-00001.parquet`));
    await expectAllowed(as.object('s3:GetObject', `${folder}year=2025/month=01/part-00002.orc`));
    for (const action of WRITE) {
      const request = as.object(action, `${folder}year=2025/part-00003.parquet`);
      if (writable) await expectAllowed(request);
      else await expectDenied(request);
    }
    // Next to the folder: a sibling with the same start, the folder's own name as a key, the parent.
    await expectDenied(as.list(base(folder)));
    await expectDenied(as.list(`${base(folder)}-archive/`));
    await expectDenied(as.object('s3:GetObject', base(folder)));
    await expectDenied(as.object('s3:GetObject', `${base(folder)}-archive/part-00001.parquet`));
    await expectDenied(as.object('s3:PutObject', `${base(folder)}-archive/part-00001.parquet`));
    await expectDenied(as.object('s3:GetObject', `${folder.split('/')[0]}/secret.csv`));
    // The same key in another bucket.
    await expectDenied(as.list(folder, otherBucket));
    await expectDenied(as.object('s3:GetObject', `${folder}part-00001.parquet`, otherBucket));
    await expectDenied(as.object('s3:DeleteObject', `${folder}part-00001.parquet`, otherBucket));
  }
  for (const action of NEVER_ON_OBJECT) await expectDenied(as.object(action, `${folderPrefixes(ds.prefixes)[0]}part-00001.parquet`));
  // The bucket root, a listing without a prefix, other folders.
  await expectDenied(as.list());
  await expectDenied(as.list(''));
  await expectDenied(as.list('other/'));
  await expectDenied(as.object('s3:GetObject', 'other/part-00001.parquet'));
  await expectDenied(as.object('s3:PutObject', 'other/part-00001.parquet'));
  for (const action of NEVER_ON_BUCKET) await expectDenied(as.bucket(action));

  expect(allowedOnes.filter((v) => (v as unknown[])[3] !== 'Allowed')).toEqual([]);
  expect(deniedOnes.filter((v) => (v as unknown[])[3] === 'Allowed')).toEqual([]);
}

/** Every other datasource's objects and listings, as this datasource's role: counted, never allowed. */
async function crossDatasourceAllows(self: OwnedDatasource, policies: Policies): Promise<{ evaluated: number; allowed: string[] }> {
  const as = requestAs(datasourceSessionArn(self.ds), self.ds);
  const allowed: string[] = [];
  const requests: Request[] = [];
  let evaluated = 0;
  for (const other of ALL_DATASOURCES) {
    if (other.ds.id === self.ds.id) continue;
    // A read under every folder of the other datasource; a listing and a write under its first.
    folderPrefixes(other.ds.prefixes).forEach((folder, n) => {
      const read = as.object('s3:GetObject', `${folder}part-00001.parquet`, other.ds.bucketArn);
      const more = n === 0 ? [as.list(folder, other.ds.bucketArn), as.object('s3:PutObject', `${folder}part-00001.parquet`, other.ds.bucketArn)] : [];
      requests.push(...[read, ...more].map((r) => ({ ...r, resourceAccount: other.ds.externalAccountId })));
    });
  }
  for (const request of requests) {
    evaluated++;
    if ((await decide(request, policies)) === 'Allowed') allowed.push(`${request.action} ${request.resource} ${[request.context?.['s3:prefix'] ?? ''].flat().join(',')}`);
  }
  return { evaluated, allowed };
}

describe("route 1: the datasource role's permissions policy (ownerRolePolicy)", () => {
  const policiesOf = (ds: TenantDatasource): Policies => ({ identity: ownerRolePolicy(ownerAccessOf(ds)).Statement });

  test('every datasource role lists and reads only under its prefixes, and writes only when read-write', async () => {
    for (const { ds } of ALL_DATASOURCES) await expectExactlyItsPrefixes(ds, () => policiesOf(ds));
  });

  test("no datasource role reaches another datasource's prefixes, on a shared bucket or elsewhere", async () => {
    let evaluated = 0;
    const allowed: string[] = [];
    for (const self of ALL_DATASOURCES) {
      const result = await crossDatasourceAllows(self, policiesOf(self.ds));
      evaluated += result.evaluated;
      allowed.push(...result.allowed);
    }
    expect(evaluated).toBeGreaterThanOrEqual(ALL_DATASOURCES.length * (ALL_DATASOURCES.length - 1) * 3);
    expect(allowed).toEqual([]);
  });
});

describe('route 2: the bucket-policy variant, merged per bucket as owners apply it', () => {
  /** Each bucket's policy: the statements of every datasource on it (the TLS-only statement once). */
  const bucketPolicies = new Map<string, PolicyStatement[]>();
  for (const { ds } of ALL_DATASOURCES) {
    const statements = bucketPolicyVariant({ ...accessOf(ds), datasourceId: ds.id, roleArn: ds.roleArn }).Statement;
    const merged = bucketPolicies.get(ds.bucketArn) ?? [];
    for (const statement of statements) if (!merged.some((s) => s.Sid === statement.Sid)) merged.push(statement);
    bucketPolicies.set(ds.bucketArn, merged);
  }
  const bucketPolicyDocuments = new Map([...bucketPolicies].map(([arn, statements]) => [arn, policyDocument(statements)]));
  /** A bucket without a datasource has no bucket policy. */
  const policiesFor = (bucketArn: string): Policies => ({ resource: bucketPolicyDocuments.get(bucketArn) });

  test('several datasources share a bucket policy', () => {
    expect([...bucketPolicies.values()].some((statements) => statements.filter((s) => s.Sid?.endsWith('ReadObjects')).length > 1)).toBe(true);
  });

  test('every datasource role, with no permissions policy of its own, lists and reads only under its prefixes', async () => {
    for (const { ds } of ALL_DATASOURCES) {
      // Requests go to one bucket at a time; the "other bucket" checks see that bucket's own policy.
      const as = requestAs(datasourceSessionArn(ds), ds);
      const folder = folderPrefixes(ds.prefixes)[0];
      expect(await decide(as.object('s3:GetObject', `${folder}part-00001.parquet`), policiesFor(ds.bucketArn))).toBe('Allowed');
      await expectExactlyItsPrefixes(ds, policiesFor);
    }
  });

  test('requests without TLS are explicitly denied, even for the datasource role under its prefixes', async () => {
    for (const { ds } of ALL_DATASOURCES) {
      const as = requestAs(datasourceSessionArn(ds), ds);
      const key = `${folderPrefixes(ds.prefixes)[0]}part-00001.parquet`;
      expect(await decide(as.object('s3:GetObject', key, ds.bucketArn, { 'aws:SecureTransport': 'false' }), policiesFor(ds.bucketArn))).toBe('ExplicitlyDenied');
    }
  });

  test("only the datasource role: not the cluster's Starburst role, not other roles, no other datasource's role", async () => {
    const ANY_S3 = [{ Effect: 'Allow' as const, Action: 's3:*', Resource: '*' }];
    const counts = { evaluated: 0, strangerAllowed: 0, crossDatasourceEvaluated: 0, crossDatasourceAllowed: [] as string[] };
    for (const { tenant, ds } of ALL_DATASOURCES) {
      const strangers: Array<{ principal: string; identity?: PolicyStatement[] }> = [
        // The cluster's own Starburst role straight from its account, even with any S3 permission at home.
        { principal: tenant.starburstSessionArn, identity: ANY_S3 },
        { principal: `arn:aws:sts::${ds.externalAccountId}:assumed-role/DataEngineer/someone` },
        { principal: `arn:aws:iam::${ds.externalAccountId}:user/analyst` },
      ];
      // One folder per datasource: the principal is what differs here, and every folder has the same statements.
      for (const folder of folderPrefixes(ds.prefixes).slice(0, 1)) {
        for (const { principal, identity } of strangers) {
          const as = requestAs(principal, ds);
          for (const request of [as.list(folder), as.object('s3:GetObject', `${folder}x.parquet`), as.object('s3:PutObject', `${folder}x.parquet`)]) {
            counts.evaluated++;
            if ((await decide(request, { ...policiesFor(ds.bucketArn), identity })) === 'Allowed') counts.strangerAllowed++;
          }
        }
        // Every other datasource's role (in the same owner account or not); all three actions for those
        // that share the bucket (their own statements are in the same policy), a read for the rest.
        for (const other of ALL_DATASOURCES) {
          if (other.ds.roleArn === ds.roleArn) continue;
          const as = requestAs(datasourceSessionArn(other.ds), ds);
          const read = as.object('s3:GetObject', `${folder}x.parquet`);
          const requests = other.ds.bucketArn === ds.bucketArn ? [as.list(folder), read, as.object('s3:DeleteObject', `${folder}x.parquet`)] : [read];
          for (const request of requests) {
            counts.crossDatasourceEvaluated++;
            if ((await decide(request, policiesFor(ds.bucketArn))) === 'Allowed') counts.crossDatasourceAllowed.push(`${other.ds.id} ${request.action} ${request.resource}`);
          }
        }
      }
    }
    expect(counts.strangerAllowed).toBe(0);
    expect(counts.crossDatasourceEvaluated).toBeGreaterThanOrEqual(ALL_DATASOURCES.length * (ALL_DATASOURCES.length - 1));
    expect(counts.crossDatasourceAllowed).toEqual([]);
  });
});

test('bucket names of the generated owners are valid for the documents', () => {
  for (const arn of ALL_BUCKET_ARNS) expect(bucketName(arn)).toMatch(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
});

afterAll(() => {
  process.stdout.write(`owner S3 access: ${tally.evaluated} simulated requests, ${tally.allowed} allowed, ${tally.denied} denied (${validation.validatedRuns} of them also validated)\n`);
});
