import { GLUE_READ_ACTIONS, GLUE_WRITE_ACTIONS } from '../../../lib/access/catalog-and-key-access';
import { ownerCatalogAndKeyPolicy, ownerRolePolicy } from '../../../lib/access/owner-documents';
import { policyDocument, type PolicyStatement } from '../../../lib/access/policy-document';
import { folderPrefixes } from '../../../lib/access/s3-access';
import type { TenantDatasource } from '../../../lib/contract/tenant-spec';
import { ALL_BUCKET_ARNS, ALL_DATASOURCES, datasourceSessionArn, OWNER_ACCOUNTS } from './generated-tenants';
import { decide, tally, validation, type Decision, type Policies, type Request } from './simulate';

/**
 * Glue catalog and KMS key use of every generated datasource role in its owner's account, through
 * the IAM policy simulator, on both routes: the role's whole permissions policy (`ownerRolePolicy`)
 * and the role policy of the bucket-policy route (`ownerCatalogAndKeyPolicy`).
 */

const OTHER_REGION: Record<string, string> = { 'us-east-1': 'eu-west-1', 'eu-west-1': 'us-east-1' };
const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
/** Glue calls on a database take the catalog and the database; the others also take the table. */
const DATABASE_LEVEL = new Set(['glue:GetDatabase', 'glue:GetDatabases']);
const NEVER_ON_CATALOG = ['glue:CreateDatabase', 'glue:UpdateDatabase', 'glue:DeleteDatabase', 'glue:CreateUserDefinedFunction', 'glue:PutResourcePolicy'];

const ownerAccessOf = ({ bucketArn, prefixes, accessMode, externalAccountId, region }: TenantDatasource) => ({ bucketArn, prefixes, accessMode, externalAccountId, region });
const ROUTES = {
  'role policy': (ds: TenantDatasource) => ownerRolePolicy(ownerAccessOf(ds)).Statement,
  'bucket-policy route role policy': (ds: TenantDatasource) => ownerCatalogAndKeyPolicy(ownerAccessOf(ds)).Statement,
};

function glueArns(region: string, account: string, action: string): string[] {
  const base = `arn:aws:glue:${region}:${account}`;
  const arns = [`${base}:catalog`, `${base}:database/sales_db`];
  return DATABASE_LEVEL.has(action) ? arns : [...arns, `${base}:table/sales_db/orders`];
}

const keyArn = (region: string, account: string) => `arn:aws:kms:${region}:${account}:key/${KEY_ID}`;
const viaS3 = (region: string) => ({ 'kms:ViaService': `s3.${region}.amazonaws.com` });
const objectContext = (arn: string) => ({ 'kms:EncryptionContext:aws:s3:arn': arn });
/**
 * A KMS key is reachable only as far as its key policy allows: the default key policy lets the
 * account's IAM policies grant its use, which the role policy relies on.
 */
const defaultKeyPolicy = (account: string) =>
  policyDocument([{ Sid: 'EnableIamPolicies', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' }]);
/** The role's statements, and for a KMS request the default key policy of the key's account. */
const policiesFor = (identity: PolicyStatement[], request: Request): Policies =>
  request.action.startsWith('kms:') ? { identity, resource: defaultKeyPolicy(request.resourceAccount) } : { identity };

/** Collects expectations and their decisions, so that a failure lists every wrong one at once. */
function verdicts() {
  const wrong: string[] = [];
  let count = 0;
  const expectDecision = async (request: Request, identity: PolicyStatement[], allowed: boolean) => {
    count++;
    const decision: Decision = await decide(request, policiesFor(identity, request));
    if ((decision === 'Allowed') !== allowed) wrong.push(`${allowed ? 'denied' : 'allowed'}: ${request.action} ${request.resource} ${JSON.stringify(request.context ?? {})}`);
  };
  return { wrong, expectDecision, count: () => count };
}

describe.each(Object.entries(ROUTES))('Glue catalog, with the %s', (_, statementsOf) => {
  test("reads on the owner's catalog, databases and tables in the datasource's region; nowhere else", async () => {
    const { wrong, expectDecision, count } = verdicts();
    for (const { ds } of ALL_DATASOURCES) {
      const identity = statementsOf(ds);
      const principal = datasourceSessionArn(ds);
      const otherAccount = OWNER_ACCOUNTS.find((account) => account !== ds.externalAccountId)!;
      for (const action of GLUE_READ_ACTIONS) {
        for (const resource of glueArns(ds.region, ds.externalAccountId, action)) {
          await expectDecision({ principal, action, resource, resourceAccount: ds.externalAccountId }, identity, true);
        }
        for (const resource of glueArns(OTHER_REGION[ds.region], ds.externalAccountId, action)) {
          await expectDecision({ principal, action, resource, resourceAccount: ds.externalAccountId }, identity, false);
        }
        for (const resource of glueArns(ds.region, otherAccount, action)) {
          await expectDecision({ principal, action, resource, resourceAccount: otherAccount }, identity, false);
        }
      }
    }
    expect(count()).toBeGreaterThan(ALL_DATASOURCES.length * GLUE_READ_ACTIONS.length * 6);
    expect(wrong).toEqual([]);
  });

  test('writes tables, partitions and statistics only when read-write, and only there; never databases', async () => {
    const { wrong, expectDecision } = verdicts();
    const modes = new Set<string>();
    for (const { ds } of ALL_DATASOURCES) {
      modes.add(ds.accessMode);
      const identity = statementsOf(ds);
      const principal = datasourceSessionArn(ds);
      const writable = ds.accessMode === 'read-write';
      const otherAccount = OWNER_ACCOUNTS.find((account) => account !== ds.externalAccountId)!;
      for (const action of GLUE_WRITE_ACTIONS) {
        for (const resource of glueArns(ds.region, ds.externalAccountId, action)) {
          await expectDecision({ principal, action, resource, resourceAccount: ds.externalAccountId }, identity, writable);
        }
        const [, , elsewhereTable] = glueArns(OTHER_REGION[ds.region], ds.externalAccountId, action);
        await expectDecision({ principal, action, resource: elsewhereTable, resourceAccount: ds.externalAccountId }, identity, false);
        const [, , otherAccountTable] = glueArns(ds.region, otherAccount, action);
        await expectDecision({ principal, action, resource: otherAccountTable, resourceAccount: otherAccount }, identity, false);
      }
      for (const action of NEVER_ON_CATALOG) {
        await expectDecision({ principal, action, resource: `arn:aws:glue:${ds.region}:${ds.externalAccountId}:catalog`, resourceAccount: ds.externalAccountId }, identity, false);
      }
    }
    expect([...modes].sort()).toEqual(['read-only', 'read-write']);
    expect(wrong).toEqual([]);
  });
});

describe.each(Object.entries(ROUTES))('KMS keys, with the %s', (_, statementsOf) => {
  test('kms:Decrypt only through S3 in the region, for objects under the prefixes or the bucket (S3 Bucket Keys)', async () => {
    const { wrong, expectDecision } = verdicts();
    for (const { ds } of ALL_DATASOURCES) {
      const identity = statementsOf(ds);
      const principal = datasourceSessionArn(ds);
      const ownKey = keyArn(ds.region, ds.externalAccountId);
      const otherBucket = ALL_BUCKET_ARNS.find((arn) => arn !== ds.bucketArn)!;
      const decrypt = (context: Record<string, string>, resource = ownKey, resourceAccount = ds.externalAccountId): Request => ({
        principal,
        action: 'kms:Decrypt',
        resource,
        resourceAccount,
        context,
      });
      for (const folder of folderPrefixes(ds.prefixes)) {
        const object = `${ds.bucketArn}/${folder}year=2025/part-00001.parquet`;
        await expectDecision(decrypt({ ...viaS3(ds.region), ...objectContext(object) }), identity, true);
        // Next to the folder, in another folder, the same key in another bucket.
        await expectDecision(decrypt({ ...viaS3(ds.region), ...objectContext(`${ds.bucketArn}/${folder.slice(0, -1)}-archive/part-00001.parquet`) }), identity, false);
        await expectDecision(decrypt({ ...viaS3(ds.region), ...objectContext(`${ds.bucketArn}/other/part-00001.parquet`) }), identity, false);
        await expectDecision(decrypt({ ...viaS3(ds.region), ...objectContext(`${otherBucket}/${folder}part-00001.parquet`) }), identity, false);
        // Not through S3, or through S3 of another region, or without an encryption context.
        await expectDecision(decrypt(objectContext(object)), identity, false);
        await expectDecision(decrypt({ ...viaS3(OTHER_REGION[ds.region]), ...objectContext(object) }), identity, false);
        await expectDecision(decrypt({ 'kms:ViaService': `dynamodb.${ds.region}.amazonaws.com`, ...objectContext(object) }), identity, false);
        await expectDecision(decrypt(viaS3(ds.region)), identity, false);
        // A key of another region or of another account.
        await expectDecision(decrypt({ ...viaS3(ds.region), ...objectContext(object) }, keyArn(OTHER_REGION[ds.region], ds.externalAccountId)), identity, false);
        const otherAccount = OWNER_ACCOUNTS.find((account) => account !== ds.externalAccountId)!;
        await expectDecision(decrypt({ ...viaS3(ds.region), ...objectContext(object) }, keyArn(ds.region, otherAccount), otherAccount), identity, false);
      }
      // S3 Bucket Keys: the encryption context is the bucket ARN; another bucket's is refused.
      await expectDecision(decrypt({ ...viaS3(ds.region), ...objectContext(ds.bucketArn) }), identity, true);
      await expectDecision(decrypt({ ...viaS3(ds.region), ...objectContext(otherBucket) }), identity, false);
      await expectDecision(decrypt(objectContext(ds.bucketArn)), identity, false);
    }
    expect(wrong).toEqual([]);
  });

  test('kms:GenerateDataKey only for read-write, on the same conditions; never kms:Encrypt', async () => {
    const { wrong, expectDecision } = verdicts();
    for (const { ds } of ALL_DATASOURCES) {
      const identity = statementsOf(ds);
      const principal = datasourceSessionArn(ds);
      const writable = ds.accessMode === 'read-write';
      const request = (action: string, context: Record<string, string>): Request => ({
        principal,
        action,
        resource: keyArn(ds.region, ds.externalAccountId),
        resourceAccount: ds.externalAccountId,
        context,
      });
      const object = `${ds.bucketArn}/${folderPrefixes(ds.prefixes)[0]}part-00001.parquet`;
      await expectDecision(request('kms:GenerateDataKey', { ...viaS3(ds.region), ...objectContext(object) }), identity, writable);
      await expectDecision(request('kms:GenerateDataKey', { ...viaS3(ds.region), ...objectContext(ds.bucketArn) }), identity, writable);
      await expectDecision(request('kms:GenerateDataKey', { ...viaS3(ds.region), ...objectContext(`${ds.bucketArn}/other/part-00001.parquet`) }), identity, false);
      await expectDecision(request('kms:GenerateDataKey', objectContext(object)), identity, false);
      for (const action of ['kms:Encrypt', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom']) {
        await expectDecision(request(action, { ...viaS3(ds.region), ...objectContext(object) }), identity, false);
      }
    }
    expect(wrong).toEqual([]);
  });

  test("no datasource role uses a key for another datasource's objects, on a shared bucket or elsewhere", async () => {
    const { wrong, expectDecision, count } = verdicts();
    for (const self of ALL_DATASOURCES) {
      const identity = statementsOf(self.ds);
      for (const other of ALL_DATASOURCES) {
        if (other.ds.id === self.ds.id) continue;
        const object = `${other.ds.bucketArn}/${folderPrefixes(other.ds.prefixes)[0]}part-00001.parquet`;
        await expectDecision(
          {
            principal: datasourceSessionArn(self.ds),
            action: 'kms:Decrypt',
            resource: keyArn(other.ds.region, other.ds.externalAccountId),
            resourceAccount: other.ds.externalAccountId,
            context: { ...viaS3(other.ds.region), ...objectContext(object) },
          },
          identity,
          false,
        );
      }
    }
    expect(count()).toBe(ALL_DATASOURCES.length * (ALL_DATASOURCES.length - 1));
    expect(wrong).toEqual([]);
  });
});

test('a key whose key policy does not let IAM policies grant its use stays closed to the role', async () => {
  for (const { ds } of ALL_DATASOURCES.slice(0, 3)) {
    const request: Request = {
      principal: datasourceSessionArn(ds),
      action: 'kms:Decrypt',
      resource: keyArn(ds.region, ds.externalAccountId),
      resourceAccount: ds.externalAccountId,
      context: { ...viaS3(ds.region), ...objectContext(`${ds.bucketArn}/${folderPrefixes(ds.prefixes)[0]}part-00001.parquet`) },
    };
    const identity = ownerRolePolicy(ownerAccessOf(ds)).Statement;
    expect(await decide(request, { identity, resource: defaultKeyPolicy(ds.externalAccountId) })).toBe('Allowed');
    const keyAdminsOnly = policyDocument([{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ds.externalAccountId}:role/KeyAdmin` }, Action: 'kms:*', Resource: '*' }]);
    expect(await decide(request, { identity, resource: keyAdminsOnly })).not.toBe('Allowed');
  }
});

test('the generated datasources cover both regions, both access modes and shared buckets', () => {
  const datasources = ALL_DATASOURCES.map(({ ds }) => ds);
  expect(new Set(datasources.map((ds) => ds.region))).toEqual(new Set(Object.keys(OTHER_REGION)));
  expect(new Set(datasources.map((ds) => ds.accessMode))).toEqual(new Set(['read-only', 'read-write']));
  expect(new Set(datasources.map((ds) => ds.bucketArn)).size).toBeLessThan(datasources.length);
});

afterAll(() => {
  process.stdout.write(`owner catalog and key access: ${tally.evaluated} simulated requests, ${tally.allowed} allowed, ${tally.denied} denied (${validation.validatedRuns} of them also validated)\n`);
});
