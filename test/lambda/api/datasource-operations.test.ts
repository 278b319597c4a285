import { Datasource, DatasourceSetup, JobAccepted, Problem } from '../../../lib/contract/api';
import { catalogName } from '../../../lib/contract/tenant-spec';
import { clusterKey } from '../../../lambda/core/cluster-store';
import { datasourceKey } from '../../../lambda/core/datasource-store';
import { ApiHarness, principalOf } from '../../support/api-harness';

/**
 * The datasource routes over the real router and dynalite: what a team may ask for, what is
 * generated for it, and every bad request refused with problem+json and nothing changed.
 */

const ALICE = principalOf('ds-alice');
const WRITER = principalOf('ds-writer');
const BOB = principalOf('ds-bob');

let api: ApiHarness;
let DEV_ACCOUNT: string;

beforeAll(async () => {
  api = await ApiHarness.start();
  DEV_ACCOUNT = api.deps.config.environments.dev!.account;
  await api.registerTeam('lake', [ALICE], { tiers: ['S'], environments: ['dev'], maxClusters: 100 }, [{ name: 'lake-readers', role: 'reader' }]);
  await api.registerTeam('writers', [WRITER], {
    tiers: ['S'],
    environments: ['dev'],
    maxClusters: 100,
    readWriteDatasources: true,
    dataAccounts: ['210987654321'],
  } as never);
  await api.registerTeam('other', [BOB], { tiers: ['S'], environments: ['dev'], maxClusters: 100 });
});
afterAll(() => api.stop());

const request = (overrides: Record<string, unknown> = {}) => ({
  type: 's3-iceberg',
  externalAccountId: '210987654321',
  bucketArn: 'arn:aws:s3:::lake-data',
  prefixes: ['sales/'],
  region: 'eu-west-1',
  ...overrides,
});

async function activeCluster(principal = ALICE): Promise<string> {
  const created = await api.call(principal, 'POST', '/clusters', { body: { environment: 'dev', tier: 'S' } });
  expect(created.status).toBe(202);
  const clusterId = created.json.cluster.clusterId as string;
  await api.settle(clusterKey(clusterId), 'ACTIVE');
  return clusterId;
}

async function addActive(clusterId: string, body = request(), principal = ALICE) {
  const answer = await api.call(principal, 'POST', `/clusters/${clusterId}/datasources`, { body });
  expect(answer.status).toBe(202);
  await api.settle(clusterKey(clusterId), 'ACTIVE');
  await api.settle(datasourceKey(clusterId, answer.json.datasource.datasourceId), 'ACTIVE');
  return answer.json.datasource as Datasource;
}

describe('POST /clusters/{id}/datasources', () => {
  it('accepts a datasource on an ACTIVE cluster: 202, an ADD_DATASOURCE job, the datasource PENDING with its generated access', async () => {
    const clusterId = await activeCluster();
    const answer = await api.call(ALICE, 'POST', `/clusters/${clusterId}/datasources`, { body: request() });
    expect(answer.status).toBe(202);
    const accepted = JobAccepted.parse(answer.json);
    expect(answer.headers.location).toBe(`/jobs/${accepted.jobId}`);
    expect(accepted.operationType).toBe('ADD_DATASOURCE');
    expect(accepted.cluster).toMatchObject({ clusterId, status: 'UPDATING', activeJobId: accepted.jobId });

    const ds = accepted.datasource!;
    expect(ds).toMatchObject({
      clusterId,
      teamId: 'lake',
      type: 's3-iceberg',
      accessMode: 'read-only',
      status: 'PENDING',
      activeJobId: accepted.jobId,
      catalog: catalogName(ds.datasourceId),
      roleArn: `arn:aws:iam::210987654321:role/sici-${ds.datasourceId}`,
      iamPolicyReference: `arn:aws:iam::${DEV_ACCOUNT}:role/sici-${clusterId}-starburst#Assume${ds.datasourceId.replace(/-/g, '')}`,
    });
    expect(ds.externalId).toMatch(/^sici-[0-9a-f]{48}$/);
    expect(accepted.links.setup).toBe(`/clusters/${clusterId}/datasources/${ds.datasourceId}/setup`);

    const job = await api.call(ALICE, 'GET', `/jobs/${accepted.jobId}`);
    expect(job.json).toMatchObject({ operationType: 'ADD_DATASOURCE', status: 'PENDING', datasourceId: ds.datasourceId });
    expect(api.startedJobs.map((started) => started.jobId)).toContain(accepted.jobId);

    const shown = await api.call(ALICE, 'GET', `/clusters/${clusterId}/datasources/${ds.datasourceId}`);
    expect(Datasource.parse(shown.json)).toEqual(ds);
    const listed = await api.call(ALICE, 'GET', `/clusters/${clusterId}/datasources`);
    expect(listed.json.items).toEqual([ds]);
    expect((await api.call(ALICE, 'GET', `/clusters/${clusterId}/datasources`, { query: { status: 'ACTIVE' } })).json.items).toEqual([]);
  });

  it('generates a different ExternalId for every datasource', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const clusterId = await activeCluster();
      const answer = await api.call(ALICE, 'POST', `/clusters/${clusterId}/datasources`, { body: request() });
      ids.add(answer.json.datasource.externalId);
    }
    expect(ids.size).toBe(5);
  });

  it('replays the first answer to a retry with the same Idempotency-Key, and starts one job', async () => {
    const clusterId = await activeCluster();
    const headers = { 'idempotency-key': `ds-${clusterId}` };
    const first = await api.call(ALICE, 'POST', `/clusters/${clusterId}/datasources`, { body: request(), headers });
    const retry = await api.call(ALICE, 'POST', `/clusters/${clusterId}/datasources`, { body: request(), headers });
    expect(retry.status).toBe(202);
    expect(retry.headers['idempotency-replayed']).toBe('true');
    expect(retry.json).toEqual(first.json);
    expect((await api.call(ALICE, 'GET', `/clusters/${clusterId}/datasources`)).json.items).toHaveLength(1);
  });

  it('allows read-write only to an entitled team, and only from its data accounts', async () => {
    const lakeCluster = await activeCluster();
    const refused = await api.call(ALICE, 'POST', `/clusters/${lakeCluster}/datasources`, { body: request({ accessMode: 'read-write' }) });
    expect(refused.status).toBe(403);
    expect(refused.json.errors).toEqual([{ field: 'body.accessMode', message: expect.stringContaining('read-write') }]);

    const writersCluster = await activeCluster(WRITER);
    const foreign = await api.call(WRITER, 'POST', `/clusters/${writersCluster}/datasources`, {
      body: request({ accessMode: 'read-write', externalAccountId: '111122223333' }),
    });
    expect(foreign.status).toBe(403);
    expect(foreign.json.errors[0].field).toBe('body.externalAccountId');

    const allowed = await api.call(WRITER, 'POST', `/clusters/${writersCluster}/datasources`, { body: request({ accessMode: 'read-write' }) });
    expect(allowed.status).toBe(202);
    expect(allowed.json.datasource.accessMode).toBe('read-write');
  });
});

describe('bad requests change nothing', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['an unknown connector type', request({ type: 'jdbc-postgres' }), 'body.type'],
    ['connector properties', { ...request(), properties: { 'hive.s3.aws-access-key': 'x' } }, 'body'],
    ['a bucket name instead of an ARN', request({ bucketArn: 'lake-data' }), 'body.bucketArn'],
    ['an object ARN', request({ bucketArn: 'arn:aws:s3:::lake-data/sales' }), 'body.bucketArn'],
    ['an invalid bucket name', request({ bucketArn: 'arn:aws:s3:::Lake_Data' }), 'body.bucketArn'],
    ['a wildcard prefix', request({ prefixes: ['sales/*'] }), 'body.prefixes.0'],
    ['a ".." prefix', request({ prefixes: ['sales/../finance'] }), 'body.prefixes.0'],
    ['a leading-slash prefix', request({ prefixes: ['/sales'] }), 'body.prefixes.0'],
    ['no prefix', request({ prefixes: [] }), 'body.prefixes'],
    ['an 11-digit account', request({ externalAccountId: '21098765432' }), 'body.externalAccountId'],
    ['an account with letters', request({ externalAccountId: '21098765432a' }), 'body.externalAccountId'],
    ['not a region', request({ region: 'europe' }), 'body.region'],
    ['a bucket of another partition than the region', request({ region: 'cn-north-1' }), 'body.bucketArn'],
    ['an unknown access mode', request({ accessMode: 'admin' }), 'body.accessMode'],
  ];

  it.each(cases)('refuses %s with 400 naming the field', async (_name, body, field) => {
    const clusterId = await activeCluster();
    const before = await api.items('state');
    const auditBefore = (await api.items('audit')).length;
    const answer = await api.call(ALICE, 'POST', `/clusters/${clusterId}/datasources`, { body });
    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    const problem = Problem.parse(answer.json);
    expect(problem.errors?.map((e) => e.field)).toContain(field);
    expect(await api.items('state')).toEqual(before);
    expect((await api.items('audit')).length).toBe(auditBefore + 1);
  });

  it('refuses a body without its required fields, each named as required with what it takes', async () => {
    const clusterId = await activeCluster();
    const answer = await api.call(ALICE, 'POST', `/clusters/${clusterId}/datasources`, { body: {} });
    expect(answer.status).toBe(400);
    expect(Problem.parse(answer.json).errors).toEqual([
      { field: 'body.type', message: 'required, one of "s3-hive" or "s3-iceberg"' },
      { field: 'body.externalAccountId', message: 'required, a 12-digit AWS account id' },
      { field: 'body.bucketArn', message: 'required, an S3 bucket ARN such as arn:aws:s3:::my-bucket' },
      { field: 'body.prefixes', message: 'required, an array such as ["sales/"]' },
      { field: 'body.region', message: 'required, an AWS region such as us-east-1' },
    ]);
  });

  it('refuses a bucket name given as bucketArn with exactly one error, which says how to write it', async () => {
    const clusterId = await activeCluster();
    const answer = await api.call(ALICE, 'POST', `/clusters/${clusterId}/datasources`, { body: request({ bucketArn: 'lake-data' }) });
    expect(answer.status).toBe(400);
    expect(Problem.parse(answer.json).errors).toEqual([
      { field: 'body.bucketArn', message: 'an S3 bucket ARN such as arn:aws:s3:::my-bucket (got a bucket name: use arn:aws:s3:::lake-data)' },
    ]);
  });

  it('refuses a connector type the platform does not approve with 400 naming body.type', async () => {
    const clusterId = await activeCluster();
    const approved = api.deps.config.approvedConnectors;
    (api.deps.config as { approvedConnectors: string[] }).approvedConnectors = ['s3-hive'];
    try {
      const answer = await api.call(ALICE, 'POST', `/clusters/${clusterId}/datasources`, { body: request({ type: 's3-iceberg' }) });
      expect(answer.status).toBe(400);
      expect(answer.json.errors).toEqual([{ field: 'body.type', message: 'one of s3-hive' }]);
    } finally {
      (api.deps.config as { approvedConnectors: string[] }).approvedConnectors = [...approved];
    }
  });

  it('refuses a bucket and prefix the cluster already has, or one inside it, with 409', async () => {
    const clusterId = await activeCluster();
    const existing = await addActive(clusterId, request({ prefixes: ['sales/', 'finance'] }));
    const before = await api.items('state');
    for (const prefixes of [['sales/'], ['finance/2026/'], ['sales']]) {
      const answer = await api.call(ALICE, 'POST', `/clusters/${clusterId}/datasources`, { body: request({ prefixes }) });
      expect(answer.status).toBe(409);
      expect(answer.json.detail).toContain(existing.datasourceId);
    }
    expect(await api.items('state')).toEqual(before);
    // Another prefix, or the same prefix of another bucket, is fine.
    expect((await api.call(ALICE, 'POST', `/clusters/${clusterId}/datasources`, { body: request({ prefixes: ['sales-archive/'] }) })).status).toBe(202);
  });

  it('refuses a datasource on a cluster that is not ACTIVE, or has a job in flight, with 409', async () => {
    const created = await api.call(ALICE, 'POST', '/clusters', { body: { environment: 'dev', tier: 'S' } });
    const clusterId = created.json.cluster.clusterId;
    const provisioning = await api.call(ALICE, 'POST', `/clusters/${clusterId}/datasources`, { body: request() });
    expect(provisioning.status).toBe(409);
    expect(provisioning.json.detail).toContain('in flight');

    await api.settle(clusterKey(clusterId), 'FAILED');
    const failed = await api.call(ALICE, 'POST', `/clusters/${clusterId}/datasources`, { body: request() });
    expect(failed.status).toBe(409);
    expect(failed.json.detail).toContain('FAILED');
    expect((await api.call(ALICE, 'GET', `/clusters/${clusterId}/datasources`)).json.items).toEqual([]);
  });

  it("answers 404 for another team's cluster and datasource, without telling them apart from missing ones", async () => {
    const clusterId = await activeCluster();
    const ds = await addActive(clusterId, request({ prefixes: ['private/'] }));
    for (const [method, path] of [
      ['POST', `/clusters/${clusterId}/datasources`],
      ['GET', `/clusters/${clusterId}/datasources`],
      ['GET', `/clusters/${clusterId}/datasources/${ds.datasourceId}`],
      ['GET', `/clusters/${clusterId}/datasources/${ds.datasourceId}/setup`],
      ['DELETE', `/clusters/${clusterId}/datasources/${ds.datasourceId}`],
    ]) {
      const answer = await api.call(BOB, method, path, method === 'POST' ? { body: request() } : {});
      expect(answer.status).toBe(404);
    }
    expect((await api.call(ALICE, 'GET', `/clusters/${clusterId}/datasources/ds-0000000000000000`)).status).toBe(404);
  });
});

describe('GET /clusters/{id}/datasources/{dsId}/setup', () => {
  it("gives the owner's documents and the generated catalog, all naming this datasource's role, ExternalId and prefixes", async () => {
    const clusterId = await activeCluster();
    const ds = await addActive(clusterId, request({ prefixes: ['sales/', 'returns/'] }));
    const answer = await api.call(ALICE, 'GET', `/clusters/${clusterId}/datasources/${ds.datasourceId}/setup`);
    expect(answer.status).toBe(200);
    const setup = DatasourceSetup.parse(answer.json);
    const starburstRole = `arn:aws:iam::${DEV_ACCOUNT}:role/sici-${clusterId}-starburst`;
    expect(setup).toMatchObject({ starburstRoleArn: starburstRole, roleArn: ds.roleArn, roleName: `sici-${ds.datasourceId}`, externalId: ds.externalId });

    const assume = setup.trustPolicy.Statement.find((s) => s.Action === 'sts:AssumeRole')!;
    expect(assume).toMatchObject({ Effect: 'Allow', Principal: { AWS: starburstRole }, Condition: { StringEquals: { 'sts:ExternalId': ds.externalId } } });
    const s3 = JSON.stringify(setup.permissionsPolicy);
    expect(s3).toContain('arn:aws:s3:::lake-data/sales/*');
    expect(s3).toContain('arn:aws:s3:::lake-data/returns/*');
    expect(s3).not.toContain('s3:PutObject');
    expect(JSON.stringify(setup.bucketPolicy)).toContain(ds.roleArn);
    expect(setup.commands.rolePolicy.join('\n')).toContain(`--role-name 'sici-${ds.datasourceId}'`);

    expect(setup.catalog.name).toBe(ds.catalog);
    expect(setup.catalog.properties).toMatchObject({
      'connector.name': 'iceberg',
      'iceberg.catalog.type': 'glue',
      's3.iam-role': ds.roleArn,
      's3.external-id': ds.externalId,
      's3.region': 'eu-west-1',
      'hive.metastore.glue.catalogid': '210987654321',
    });
    // The rules that concern this catalog: the team's group may read it, nothing more.
    expect(setup.accessRules.catalogs).toEqual([{ group: 'lake-readers', catalog: ds.catalog, allow: 'read-only' }]);
    expect(setup.accessRules.tables).toEqual([{ group: 'lake-readers', catalog: ds.catalog, privileges: ['SELECT'] }]);
    expect(setup.accessRules.schemas).toEqual([]);
  });
});

describe('a prefix without its trailing slash', () => {
  it('is stored, granted and handed to the owner in its folder form, the same in every document', async () => {
    const clusterId = await activeCluster();
    const ds = await addActive(clusterId, request({ prefixes: ['sales', 'returns/2026'] }));
    const folders = ['sales/', 'returns/2026/'];
    expect(ds.prefixes).toEqual(folders);
    const stored = (await api.items('state')).find((item) => item.datasourceId === ds.datasourceId && item.prefixes !== undefined);
    expect(stored?.prefixes).toEqual(folders);
    expect((await api.call(ALICE, 'GET', `/clusters/${clusterId}/datasources/${ds.datasourceId}`)).json.prefixes).toEqual(folders);

    const setup = DatasourceSetup.parse((await api.call(ALICE, 'GET', `/clusters/${clusterId}/datasources/${ds.datasourceId}/setup`)).json);
    const documents = JSON.stringify([setup.permissionsPolicy, setup.bucketPolicy, setup.commands]);
    for (const folder of folders) {
      expect(documents).toContain(`arn:aws:s3:::lake-data/${folder}*`);
      expect(documents).toContain(`"${folder}*"`);
    }
    // No document grants the unslashed prefix, which would reach sales-archive/ or the object "sales".
    expect(documents).not.toMatch(/lake-data\/sales\*|lake-data\/returns\/2026\*|"sales\*"|"returns\/2026\*"/);
  });
});

describe('DELETE /clusters/{id}/datasources/{dsId}', () => {
  it('removes an ACTIVE datasource through a REMOVE_DATASOURCE job; the datasource is DELETING until it ends', async () => {
    const clusterId = await activeCluster();
    const ds = await addActive(clusterId, request({ prefixes: ['old/'] }));
    const answer = await api.call(ALICE, 'DELETE', `/clusters/${clusterId}/datasources/${ds.datasourceId}`);
    expect(answer.status).toBe(202);
    expect(answer.json).toMatchObject({ operationType: 'REMOVE_DATASOURCE', datasource: { datasourceId: ds.datasourceId, status: 'DELETING' } });
    const shown = await api.call(ALICE, 'GET', `/clusters/${clusterId}/datasources/${ds.datasourceId}`);
    expect(shown.json).toMatchObject({ status: 'DELETING', activeJobId: answer.json.jobId });
    expect((await api.call(ALICE, 'GET', `/jobs/${answer.json.jobId}`)).json).toMatchObject({ operationType: 'REMOVE_DATASOURCE', datasourceId: ds.datasourceId });

    // While it is being removed: no second removal, no other datasource job on the cluster.
    const again = await api.call(ALICE, 'DELETE', `/clusters/${clusterId}/datasources/${ds.datasourceId}`);
    expect(again.status).toBe(409);
    expect((await api.call(ALICE, 'POST', `/clusters/${clusterId}/datasources`, { body: request({ prefixes: ['new/'] }) })).status).toBe(409);
  });

  it('refuses to remove a datasource still being added (409) and changes nothing', async () => {
    const clusterId = await activeCluster();
    const added = await api.call(ALICE, 'POST', `/clusters/${clusterId}/datasources`, { body: request() });
    const before = await api.items('state');
    const answer = await api.call(ALICE, 'DELETE', `/clusters/${clusterId}/datasources/${added.json.datasource.datasourceId}`);
    expect(answer.status).toBe(409);
    expect(answer.json.detail).toContain('PENDING');
    expect(await api.items('state')).toEqual(before);
  });
});
