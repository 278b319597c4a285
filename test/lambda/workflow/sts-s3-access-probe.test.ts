import { bucketPolicyVariant, ownerCatalogAndKeyPolicy, ownerRolePolicy, ownerRoleTrustPolicy } from '../../../lib/access/owner-documents';
import { policyDocument, type PolicyStatement } from '../../../lib/access/policy-document';
import { tenantAssumeStatements, tenantTagSessionStatements } from '../../../lib/access/tenant-assume-policy';
import type { TenantDatasource, TenantSpec } from '../../../lib/contract/tenant-spec';
import { DatasourceAccessError, PermanentError, TransientError } from '../../../lambda/workflow/workflow-errors';
import { tally } from '../../lib/access/simulate';
import { fixtureSpec, type FixtureName } from '../../support/fixtures';
import { awsWorld, ownerAccess, READER_ARN, starburstRoleOf, WORKFLOW_FUNCTION, type OwnerSetup } from './aws-world';
import type { Fault } from './fake-aws';

/**
 * The access probe with the real SDK clients against AWS faked at the HTTP boundary (`FakeAws`),
 * whose every decision comes from the IAM policy simulator over the real documents: the tenant
 * reader's policy, the Starburst role as `StarburstRole` synthesizes it, and the owner's trust and
 * permissions as the setup generates them (or as a test breaks them).
 */

const M2 = fixtureSpec('M2');
const [EVENTS] = M2.datasources; // marketing-raw: events/ and campaigns/2025/

/** Prefixes with the characters S3Prefix allows, a folder without its slash (normalized to `sales/`), and a role with a path. */
const UNUSUAL = fixtureSpec('M2', (doc) => {
  doc.datasources[0].roleArn = 'arn:aws:iam::555555555555:role/sici/datasources/sici-datasource-ds-m000000000000011';
  doc.datasources[0].prefixes = ["year=2025/o'brien(raw)!", 'sales', 'sales-sici-outside/'];
});

/** What a promise rejected with (or resolved to, which then fails the `toBeInstanceOf` that follows). */
const rejection = (promise: Promise<unknown>): Promise<Error> => promise.then((value) => value as Error, (error: Error) => error);

describe('a datasource set up with the generated documents', () => {
  const cases: Array<[string, TenantSpec]> = [
    ...(['M1', 'M2', 'L'] as FixtureName[]).map((name): [string, TenantSpec] => [name, fixtureSpec(name)]),
    ['unusual prefixes and a role path', UNUSUAL],
  ];

  test.each(cases)('%s: every datasource passes', async (_name, spec) => {
    const { fake, check } = awsWorld(spec);
    for (const ds of spec.datasources) await expect(check(ds)).resolves.toMatch(new RegExp(`^${ds.roleArn} assumed with its ExternalId; listed`));
    expect(fake.calls.every((c) => c.service !== 's3' || c.status === 200 || c.status === 403)).toBe(true);
  });

  test('the chain: function → tenant reader → Starburst role (session policy: this datasource only) → datasource role with ExternalId and a session tag', async () => {
    const { fake, check, starburst } = awsWorld(M2);
    await expect(check(EVENTS)).resolves.toBe(
      `${EVENTS.roleArn} assumed with its ExternalId; listed 2 granted prefix(es) of s3://marketing-raw/; denied at the bucket root and 2 sibling prefix(es)`,
    );
    const sts = fake.calls.filter((c) => c.service === 'sts');
    expect(sts.map((c) => [c.principal, c.params.RoleArn, c.status])).toEqual([
      [WORKFLOW_FUNCTION, READER_ARN, 200],
      [`arn:aws:sts::111111111111:assumed-role/sici-tenant-reader/sici-probe-${EVENTS.id}`, starburst.roleArn, 200],
      [`arn:aws:sts::111111111111:assumed-role/${starburst.roleName}/sici-probe-${EVENTS.id}`, EVENTS.roleArn, 200],
    ]);
    expect(JSON.parse(sts[1].params.Policy)).toEqual(policyDocument([...tenantAssumeStatements([EVENTS]), ...tenantTagSessionStatements([EVENTS])]));
    expect(sts[2].params).toMatchObject({ ExternalId: EVENTS.externalId, 'Tags.member.1.Key': 'sici-access-probe', 'Tags.member.1.Value': M2.clusterId });
    const s3 = fake.calls.filter((c) => c.service === 's3');
    expect(s3.map((c) => [c.params.prefix ?? '', c.status])).toEqual([
      ['campaigns/2025/', 200],
      ['events/', 200],
      ['', 403],
      ['campaigns/2025-sici-outside/', 403],
      ['events-sici-outside/', 403],
    ]);
    for (const c of s3) expect(c.params).toMatchObject({ 'list-type': '2', delimiter: '/', 'max-keys': '1' });
    expect(new Set(s3.map((c) => c.principal))).toEqual(new Set([`arn:aws:sts::555555555555:assumed-role/sici-datasource-ds-m000000000000011/sici-probe-${EVENTS.id}`]));
  });

  test('a folder given without its slash is probed as the folder; a sibling that is itself granted is not probed as outside', async () => {
    const { fake, check } = awsWorld(UNUSUAL);
    await expect(check(UNUSUAL.datasources[0])).resolves.toMatch(/listed 3 granted prefix\(es\).*2 sibling prefix\(es\)$/);
    const prefixes = fake.calls.filter((c) => c.service === 's3').map((c) => c.params.prefix ?? '');
    expect(prefixes).toEqual(['sales-sici-outside/', 'sales/', "year=2025/o'brien(raw)!/", '', 'sales-sici-outside-sici-outside/', "year=2025/o'brien(raw)!-sici-outside/"]);
    expect(fake.calls.filter((c) => c.service === 's3').map((c) => 'prefix' in c.params)).toEqual([true, true, true, true, true, true]);
  });

  test('S3 granted in the bucket policy instead of the role policy passes too', async () => {
    const { check } = awsWorld(M2, {
      owner: (ds) => ({
        permissions: ownerCatalogAndKeyPolicy(ownerAccess(ds)).Statement,
        bucketPolicy: bucketPolicyVariant({ bucketArn: ds.bucketArn, prefixes: ds.prefixes, accessMode: ds.accessMode, datasourceId: ds.id, roleArn: ds.roleArn }),
      }),
    });
    for (const ds of M2.datasources) await expect(check(ds)).resolves.toMatch(/assumed with its ExternalId/);
  });
});

describe("the owner's role is not set up as generated", () => {
  const assumeDenied = `AssumeRole of ${EVENTS.roleArn} with the ExternalId was denied: create the role with the setup's trust policy (GET /clusters/${M2.clusterId}/datasources/${EVENTS.id}/setup)`;
  const trustOf = (starburstRoleArn: string, externalId: string) => ownerRoleTrustPolicy({ starburstRoleArn, externalId });
  const otherCluster = 'arn:aws:iam::111111111111:role/sici-c-zzzzzzzzzzzzzzzz-starburst';

  test.each<[string, (ds: TenantDatasource, starburst: string) => OwnerSetup]>([
    ['the role does not exist', () => ({ trust: null })],
    ["its trust requires another datasource's ExternalId", (_ds, starburst) => ({ trust: trustOf(starburst, M2.datasources[1].externalId) })],
    ["its trust admits another cluster's Starburst role", (ds) => ({ trust: trustOf(otherCluster, ds.externalId) })],
    [
      'its trust lacks sts:TagSession (the engine carries Pod Identity session tags)',
      (ds, starburst) => ({ trust: policyDocument(trustOf(starburst, ds.externalId).Statement.filter((s) => s.Action !== 'sts:TagSession')) }),
    ],
  ])('%s: DatasourceAccessError about the AssumeRole', async (_name, setup) => {
    const starburst = starburstRoleOf(M2).roleArn;
    const { check, fake } = awsWorld(M2, { owner: (ds) => (ds === EVENTS ? setup(ds, starburst) : {}) });
    const error = await rejection(check(EVENTS));
    expect(error).toBeInstanceOf(DatasourceAccessError);
    expect(error.message).toBe(assumeDenied);
    expect(fake.calls.filter((c) => c.service === 's3')).toEqual([]);
    await expect(check(M2.datasources[1])).resolves.toMatch(/assumed with its ExternalId/);
  });

  test('permissions wider than generated (s3:ListBucket on the whole bucket): DatasourceAccessError about listing outside', async () => {
    const wide: PolicyStatement = { Effect: 'Allow', Action: 's3:ListBucket', Resource: EVENTS.bucketArn };
    const { check } = awsWorld(M2, { owner: (ds) => ({ permissions: [...ownerRolePolicy(ownerAccess(ds)).Statement, wide] }) });
    const error = await rejection(check(EVENTS));
    expect(error).toBeInstanceOf(DatasourceAccessError);
    expect(error.message).toMatch(/^the role may list s3:\/\/marketing-raw\/ outside the granted prefixes: its permissions are wider than the generated policy/);
  });

  test('a prefix pattern without its slash (events* for events/*): DatasourceAccessError naming the sibling it opens', async () => {
    const loose = (statement: PolicyStatement): PolicyStatement =>
      statement.Action === 's3:ListBucket' ? { ...statement, Condition: { StringLike: { 's3:prefix': ['campaigns/2025/*', 'events*'] } } } : statement;
    const { check } = awsWorld(M2, { owner: (ds) => ({ permissions: ownerRolePolicy(ownerAccess(ds)).Statement.map(loose) }) });
    const error = await rejection(check(EVENTS));
    expect(error).toBeInstanceOf(DatasourceAccessError);
    expect(error.message).toMatch(/^the role may list s3:\/\/marketing-raw\/events-sici-outside\/ outside the granted prefixes/);
  });

  test('permissions missing for one prefix: DatasourceAccessError naming that prefix', async () => {
    const { check } = awsWorld(M2, { owner: (ds) => ({ permissions: ownerRolePolicy({ ...ownerAccess(ds), prefixes: ['events/'] }).Statement }) });
    const error = await rejection(check(EVENTS));
    expect(error).toBeInstanceOf(DatasourceAccessError);
    expect(error.message).toMatch(/^listing s3:\/\/marketing-raw\/campaigns\/2025\/ was denied: give the role the setup's permissions policy/);
  });

  test('the bucket does not exist: DatasourceAccessError with S3\'s answer', async () => {
    const { check, fake } = awsWorld(M2);
    fake.buckets.delete('marketing-raw');
    const error = await rejection(check(EVENTS));
    expect(error).toBeInstanceOf(DatasourceAccessError);
    expect(error.message).toMatch(/^listing s3:\/\/marketing-raw\/campaigns\/2025\/ failed \(NoSuchBucket: /);
  });
});

describe('the platform side is not set up: PermanentError (nothing the data owner can fix)', () => {
  test("a Starburst role whose trust does not admit the tenant reader (a cluster deployed before it did)", async () => {
    const { check, starburst } = awsWorld(M2, {
      starburst: (role) => ({ ...role, trust: policyDocument(role.trust.Statement.filter((s) => s.Sid !== 'TenantReaderValidatesAccess')) }),
    });
    const error = await rejection(check(EVENTS));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toMatch(new RegExp(`^AssumeRole of ${starburst.roleArn} failed \\(AccessDenied: `));
  });

  test('no tenant reader role in the environment account', async () => {
    const error = await rejection(awsWorld(M2, { withoutReader: true }).check(EVENTS));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toMatch(new RegExp(`^AssumeRole of ${READER_ARN} failed \\(AccessDenied: `));
  });
});

describe('errors that are not access decisions: TransientError', () => {
  const throttleAssumeOf = (roleArn: string): Fault => ({ service, params }) =>
    service === 'sts' && params.RoleArn === roleArn ? { status: 400, code: 'Throttling', message: 'Rate exceeded' } : undefined;

  test('STS throttling the datasource AssumeRole, after the SDK retried it', async () => {
    const { check, fake } = awsWorld(M2, { client: { maxAttempts: 2 } });
    fake.fault = throttleAssumeOf(EVENTS.roleArn);
    const error = await rejection(check(EVENTS));
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toBe(`AssumeRole of ${EVENTS.roleArn}: Throttling: Rate exceeded`);
    expect(fake.calls.filter((c) => c.params.RoleArn === EVENTS.roleArn)).toHaveLength(2);
  });

  test('STS throttling the tenant reader AssumeRole', async () => {
    const { check, fake } = awsWorld(M2, { client: { maxAttempts: 1 } });
    fake.fault = throttleAssumeOf(READER_ARN);
    await expect(check(EVENTS)).rejects.toBeInstanceOf(TransientError);
  });

  test('S3 SlowDown on a listing', async () => {
    const { check, fake } = awsWorld(M2, { client: { maxAttempts: 1 } });
    fake.fault = ({ service }) => (service === 's3' ? { status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' } : undefined);
    const error = await rejection(check(EVENTS));
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toMatch(/^listing s3:\/\/marketing-raw\/campaigns\/2025\/: SlowDown: /);
  });

  test('the network fails', async () => {
    const { check, fake } = awsWorld(M2, { client: { maxAttempts: 1 } });
    fake.fault = ({ service }) => {
      if (service === 's3') throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      return undefined;
    };
    await expect(check(EVENTS)).rejects.toBeInstanceOf(TransientError);
  });
});

afterAll(() => {
  process.stdout.write(`access probe: ${tally.evaluated} simulated requests, ${tally.allowed} allowed, ${tally.denied} denied\n`);
});
