import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { processesNaming, startLocalProcess, type LocalProcess } from '../../lambda/local/local-process';
import { SigV4Client } from '../../lambda/local/sigv4-client';
import type { Answer } from '../support/api-harness';
import type { Json } from '../support/template';

/**
 * Starts the local control plane the way a user does (`npm start`'s command, in its own process)
 * and drives it over HTTP with SigV4 from the AWS SDK's signer and from `curl --aws-sigv4`.
 */

const run = promisify(execFile);
let dataDir: string;
let plane: LocalProcess;
let baseUrl: string;

type Profile = { accessKeyId: string; secretAccessKey: string };
const profiles = (): Record<string, Profile> => {
  const ini = readFileSync(join(dataDir, 'credentials'), 'utf8');
  const result: Record<string, Profile> = {};
  for (const [, name, body] of ini.matchAll(/\[([^\]]+)\]\n([^[]*)/g)) {
    result[name] = {
      accessKeyId: /aws_access_key_id = (\S+)/.exec(body)![1],
      secretAccessKey: /aws_secret_access_key = (\S+)/.exec(body)![1],
    };
  }
  return result;
};

async function startServer(): Promise<void> {
  plane = await startLocalProcess(dataDir);
  baseUrl = plane.url;
}

async function sdkCall(profile: Profile, method: string, path: string, body?: unknown) {
  const response = await new SigV4Client(baseUrl, profile).fetch(method, path, body === undefined ? undefined : JSON.stringify(body));
  return { status: response.status, headers: response.headers, json: (await response.json()) as Answer['json'] };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sici-e2e-'));
  await startServer();
});
afterAll(async () => {
  expect(await plane.stop()).toBe(0);
  expect(processesNaming(dataDir)).toEqual([]);
  rmSync(dataDir, { recursive: true, force: true });
});

it('prints a ready-to-paste curl example and writes the three profiles', () => {
  expect(plane.output()).toContain('curl -s --aws-sigv4 "aws:amz:us-east-1:execute-api"');
  expect(Object.keys(profiles()).sort()).toEqual(['sici-admin', 'sici-team-a', 'sici-team-b']);
});

it("creates a cluster with the README's first commands as pasted into sh, the key and secret read from the credentials file", async () => {
  const block = /In a second terminal[^`]*```sh\n([^`]*)```/.exec(readFileSync('README.md', 'utf8'))?.[1] ?? '';
  // Only the data folder and the port differ from a user's first start.
  const script = block.replace('creds=.sici/local/credentials', `creds='${join(dataDir, 'credentials')}'`).replace('http://127.0.0.1:8787', baseUrl);
  expect(script).toContain(dataDir);
  expect(script).toContain(baseUrl);
  const { stdout } = await run('sh', ['-c', script]);
  expect(JSON.parse(stdout)).toMatchObject({ operationType: 'CREATE', cluster: { teamId: 'team-a', status: 'PROVISIONING' } });
});

it('creates a cluster with curl --aws-sigv4 as team-a; team-b gets 404 for it; the SDK signer reads it', async () => {
  const { 'sici-team-a': teamA, 'sici-team-b': teamB } = profiles();
  const { stdout } = await run('curl', [
    '-s', '-w', '\n%{http_code}', '--aws-sigv4', 'aws:amz:us-east-1:execute-api', '--user', `${teamA.accessKeyId}:${teamA.secretAccessKey}`,
    '-H', 'content-type: application/json', '-d', '{"environment":"dev","tier":"S"}', `${baseUrl}/clusters`,
  ]);
  const [body, status] = stdout.split('\n');
  expect(status).toBe('202');
  const accepted = JSON.parse(body);
  expect(accepted.jobId).toMatch(/^j-/);

  const shown = await sdkCall(teamA, 'GET', `/clusters/${accepted.cluster.clusterId}`);
  expect(shown.status).toBe(200);
  expect(shown.json.status).toBe('PROVISIONING');

  const hidden = await sdkCall(teamB, 'GET', `/clusters/${accepted.cluster.clusterId}`);
  expect(hidden.status).toBe(404);
  expect(hidden.headers.get('content-type')).toBe('application/problem+json');

  // curl before 8.x does not sort query parameters when it signs: give them sorted, as AWS would require too.
  const { stdout: listed } = await run('curl', ['-s', '--aws-sigv4', 'aws:amz:us-east-1:execute-api', '--user', `${teamA.accessKeyId}:${teamA.secretAccessKey}`, `${baseUrl}/clusters?environment=dev&limit=10`]);
  expect(JSON.parse(listed).items.map((c: { clusterId: string }) => c.clusterId)).toContain(accepted.cluster.clusterId);
});

it('refuses unsigned, wrongly signed and unknown-key requests with 403 problem+json', async () => {
  const { 'sici-team-a': teamA } = profiles();
  const unsigned = await fetch(`${baseUrl}/clusters`);
  expect(unsigned.status).toBe(403);
  expect(unsigned.headers.get('content-type')).toBe('application/problem+json');

  const wrongSecret = await sdkCall({ ...teamA, secretAccessKey: 'not-the-secret' }, 'GET', '/clusters');
  expect(wrongSecret.status).toBe(403);
  expect(wrongSecret.json.detail).toMatch(/signature/);

  const unknownKey = await sdkCall({ accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' }, 'GET', '/clusters');
  expect(unknownKey.status).toBe(403);

  // A signed body that was changed in transit no longer verifies.
  const { stdout } = await run('curl', [
    '-s', '-o', '/dev/null', '-w', '%{http_code}', '--aws-sigv4', 'aws:amz:us-east-1:execute-api', '--user', `${teamA.accessKeyId}:${teamA.secretAccessKey}`,
    '-H', 'content-type: application/json', '-d', '{"environment":"dev","tier":"S"}', `${baseUrl}/clusters?limit=5`,
  ]);
  expect(stdout).toBe('400'); // signed correctly (the query string is signed too), but POST /clusters takes no query
});

it('lets the admin manage teams over HTTP, and keeps data across a restart', async () => {
  const { 'sici-admin': admin, 'sici-team-a': teamA } = profiles();
  const teams = await sdkCall(admin, 'GET', '/teams');
  expect(teams.json.items.map((t: { teamId: string }) => t.teamId)).toEqual(['team-a', 'team-b']);
  const before = await sdkCall(teamA, 'GET', '/clusters');

  expect(await plane.stop()).toBe(0);
  expect(processesNaming(dataDir)).toEqual([]);
  await startServer();
  const after = await sdkCall(teamA, 'GET', '/clusters');
  // The same clusters (a job running at the stop resumes at this start).
  const ids = (page: { json: { items: { clusterId: string }[] } }) => page.json.items.map((c) => c.clusterId);
  expect(ids(after)).toEqual(ids(before));
  expect(after.json.items.length).toBeGreaterThan(0);
});

it('runs a cluster through the workflow: POST → ACTIVE with an event per step (TenantStack synthesized and checked, not deployed), a datasource added and removed, then DELETE → DELETED', async () => {
  const { 'sici-team-b': teamB, 'sici-admin': admin } = profiles();
  // The admin registers the team's identity provider groups; the engine's access rules are generated from them.
  const team = (await sdkCall(admin, 'GET', '/teams/team-b')).json;
  const groups = [{ name: 'team-b-analysts', role: 'reader' }, { name: 'team-b-engineers', role: 'writer' }];
  const registered = await sdkCall(admin, 'PUT', '/teams/team-b', { principals: team.principals, entitlements: team.entitlements, groups });
  expect([registered.status, registered.json.groups]).toEqual([200, groups]);
  const created = await sdkCall(teamB, 'POST', '/clusters', { environment: 'dev', tier: 'M' });
  expect(created.status).toBe(202);
  const { clusterId } = created.json.cluster;

  const waitFor = async (status: string) => {
    const deadline = Date.now() + 240_000;
    for (;;) {
      const cluster = await sdkCall(teamB, 'GET', `/clusters/${clusterId}`);
      if (cluster.json.status === status) return cluster.json;
      if (Date.now() > deadline || cluster.json.status === 'FAILED') throw new Error(`cluster is ${cluster.json.status}, not ${status}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  };
  const active = await waitFor('ACTIVE');
  expect(active.endpoint).toBe(`local://${clusterId}.dev.query.sici.example.com`);
  const events = (await sdkCall(teamB, 'GET', `/clusters/${clusterId}/events?limit=50`)).json.items;
  const types = events.map((e: { type: string }) => e.type);
  expect(types).toEqual(['JOB_ACCEPTED', 'JOB_RUNNING', 'ENTITLEMENT_VALIDATED', 'CLUSTER_ALLOCATED', 'TENANT_SPEC_WRITTEN', 'DEPLOY_STARTED', 'STACK_SYNTHESIZED', 'ENDPOINT_REGISTERED', 'JOB_SUCCEEDED']);
  const synthesized = events.find((e: { type: string }) => e.type === 'STACK_SYNTHESIZED').message as string;
  expect(synthesized).toMatch(/0 unacknowledged findings/);
  expect(synthesized).toMatch(/not deployed/);
  const templateFile = /template kept at (\S+\.template\.json)/.exec(synthesized)![1];
  expect(JSON.parse(readFileSync(templateFile, 'utf8')).Resources).toBeDefined();
  type AccessRules = Record<'catalogs' | 'schemas' | 'tables', { group?: string; catalog?: string; allow?: unknown; privileges?: string[] }[]>;
  const engineRules = (template: { Resources: Record<string, Json> }): AccessRules => {
    const chart = Object.values(template.Resources).find((r) => r.Type === 'Custom::AWSCDK-EKS-HelmChart' && r.Properties.Release === 'starburst')!;
    return JSON.parse(JSON.parse(chart.Properties.Values).coordinator.etcFiles.other['rules.json']);
  };
  // Without datasources the team's groups may see only the system catalog; nobody else is named.
  const createdRules = engineRules(JSON.parse(readFileSync(templateFile, 'utf8')));
  const named = (rules: AccessRules) => new Set(Object.values(rules).flat().flatMap((rule) => (rule.group ? rule.group.split('|') : [])));
  expect([...named(createdRules)].sort()).toEqual(['team-b-analysts', 'team-b-engineers']);

  // A datasource: job → ACTIVE with its setup; the re-synthesized template grants exactly its assume.
  const waitForJob = async (jobId: string) => {
    const deadline = Date.now() + 240_000;
    for (;;) {
      const job = (await sdkCall(teamB, 'GET', `/jobs/${jobId}`)).json;
      if (job.status === 'SUCCEEDED' || job.status === 'FAILED') return job;
      if (Date.now() > deadline) throw new Error(`job ${jobId} is still ${job.status}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  };
  const templateOfJob = async (jobId: string) => {
    const all = (await sdkCall(teamB, 'GET', `/clusters/${clusterId}/events?limit=100`)).json.items as { type: string; jobId?: string; message: string }[];
    const message = all.find((e) => e.type === 'STACK_SYNTHESIZED' && e.jobId === jobId)!.message;
    const template: { Resources: Record<string, Json> } = JSON.parse(readFileSync(/template kept at (\S+\.template\.json)/.exec(message)![1], 'utf8'));
    return template;
  };
  const assumeStatements = (template: { Resources: Record<string, Json> }) =>
    Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::IAM::ManagedPolicy')
      .flatMap((r) => r.Properties.PolicyDocument.Statement)
      .filter((st: { Action: unknown }) => st.Action === 'sts:AssumeRole');

  const added = await sdkCall(teamB, 'POST', `/clusters/${clusterId}/datasources`, {
    type: 's3-hive',
    externalAccountId: '210987654321',
    bucketArn: 'arn:aws:s3:::team-b-lake',
    prefixes: ['events/'],
    region: 'us-east-1',
  });
  expect(added.status).toBe(202);
  const ds = added.json.datasource;
  expect(await waitForJob(added.json.jobId)).toMatchObject({ operationType: 'ADD_DATASOURCE', status: 'SUCCEEDED' });
  expect((await sdkCall(teamB, 'GET', `/clusters/${clusterId}/datasources/${ds.datasourceId}`)).json.status).toBe('ACTIVE');
  const setup = await sdkCall(teamB, 'GET', `/clusters/${clusterId}/datasources/${ds.datasourceId}/setup`);
  expect(setup.status).toBe(200);
  expect(setup.json.trustPolicy.Statement[0].Condition.StringEquals['sts:ExternalId']).toBe(ds.externalId);

  const withDatasource = await templateOfJob(added.json.jobId);
  const granted = assumeStatements(withDatasource);
  // The role's policy: this role, only with this ExternalId; the boundary caps it at the same role.
  expect(granted).toEqual(
    expect.arrayContaining([
      { Sid: `Assume${ds.datasourceId.replace(/-/g, '')}`, Effect: 'Allow', Action: 'sts:AssumeRole', Resource: ds.roleArn, Condition: { StringEquals: { 'sts:ExternalId': ds.externalId } } },
    ]),
  );
  expect(granted.every((st: { Resource: unknown; Condition?: unknown; Sid: string }) => JSON.stringify(st.Resource) === JSON.stringify(ds.roleArn) || JSON.stringify(st.Resource) === JSON.stringify([ds.roleArn]))).toBe(true);
  const rendered = JSON.stringify(withDatasource);
  expect(rendered).toContain(ds.catalog);
  expect(rendered).toContain(`s3.iam-role=${ds.roleArn}`);
  expect(rendered).toContain(`s3.external-id=${ds.externalId}`);
  // The (read-only) datasource is readable by both groups, writable by none, and no other group is named.
  const datasourceRules = engineRules(withDatasource).tables.filter((rule) => rule.catalog !== undefined && new RegExp(`^(${rule.catalog})$`).test(ds.catalog));
  expect(datasourceRules.filter((rule) => rule.privileges?.includes('SELECT')).map((rule) => rule.group).join('|').split('|').sort()).toEqual(['team-b-analysts', 'team-b-engineers']);
  expect(datasourceRules.filter((rule) => rule.privileges?.includes('INSERT'))).toEqual([]);
  expect(setup.json.accessRules.tables).toEqual(datasourceRules);
  const addEvents = ((await sdkCall(teamB, 'GET', `/clusters/${clusterId}/events?limit=100`)).json.items as { type: string; jobId?: string; message: string }[])
    .filter((e) => e.jobId === added.json.jobId)
    .map((e) => e.type);
  expect(addEvents).toEqual(['JOB_ACCEPTED', 'JOB_RUNNING', 'ENTITLEMENT_VALIDATED', 'TENANT_POLICY_CHECKED', 'TENANT_SPEC_WRITTEN', 'DEPLOY_STARTED', 'STACK_SYNTHESIZED', 'ENDPOINT_REGISTERED', 'DATASOURCE_ACCESS_VALIDATED', 'JOB_SUCCEEDED']);

  const removed = await sdkCall(teamB, 'DELETE', `/clusters/${clusterId}/datasources/${ds.datasourceId}`);
  expect(removed.status).toBe(202);
  expect(await waitForJob(removed.json.jobId)).toMatchObject({ operationType: 'REMOVE_DATASOURCE', status: 'SUCCEEDED' });
  expect((await sdkCall(teamB, 'GET', `/clusters/${clusterId}/datasources/${ds.datasourceId}`)).json.status).toBe('DELETED');
  const withoutDatasource = await templateOfJob(removed.json.jobId);
  expect(assumeStatements(withoutDatasource)).toEqual([]);
  expect(JSON.stringify(withoutDatasource)).not.toContain(ds.externalId);

  const deleted = await sdkCall(teamB, 'DELETE', `/clusters/${clusterId}`);
  expect(deleted.status).toBe(202);
  await waitFor('DELETED');
  const job = await sdkCall(teamB, 'GET', `/jobs/${deleted.json.jobId}`);
  expect(job.json).toMatchObject({ operationType: 'DELETE', status: 'SUCCEEDED' });
});
