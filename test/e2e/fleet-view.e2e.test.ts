import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AUDIT_CSV_HEADER } from '../../lambda/api/audit-csv';
import { SOURCE_VERSION } from '../../lambda/core/source-version';
import { processesNaming, startLocalProcess, type LocalProcess } from '../../lambda/local/local-process';
import { SigV4Client } from '../../lambda/local/sigv4-client';
import type { Answer } from '../support/api-harness';

/**
 * The fleet view, drift checks and the audit trail on the local control plane run as a user runs it
 * (its own process, a real socket, SigV4): a team's cluster deployed by the local workflow is in the
 * fleet with the source version of its deploy, a drift check finds its locally deployed stack in
 * sync, and the audit trail shows both calls, as JSON and (through curl) as CSV.
 */

const run = promisify(execFile);
let dataDir: string;
let plane: LocalProcess;

type Profile = { accessKeyId: string; secretAccessKey: string };
const profile = (name: string): Profile => {
  const ini = readFileSync(join(dataDir, 'credentials'), 'utf8');
  const body = new RegExp(`\\[${name}\\]\\n([^[]*)`).exec(ini)![1];
  return { accessKeyId: /aws_access_key_id = (\S+)/.exec(body)![1], secretAccessKey: /aws_secret_access_key = (\S+)/.exec(body)![1] };
};

async function call(who: string, method: string, path: string, body?: unknown) {
  const response = await new SigV4Client(plane.url, profile(who)).fetch(method, path, body === undefined ? undefined : JSON.stringify(body));
  return { status: response.status, headers: response.headers, json: (await response.json()) as Answer['json'] };
}

/** Looks again until `done` holds for the answer (the workflow and the fleet worker run in the background). */
async function until(who: string, path: string, done: (json: Answer['json']) => boolean): Promise<Answer['json']> {
  for (;;) {
    const answer = await call(who, 'GET', path);
    if (done(answer.json)) return answer.json;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sici-e2e-fleet-'));
  plane = await startLocalProcess(dataDir, { args: ['--quiet'] });
});
afterAll(async () => {
  expect(await plane.stop()).toBe(0);
  expect(processesNaming(dataDir)).toEqual([]);
  rmSync(dataDir, { recursive: true, force: true });
});

it('GET /fleet/clusters, POST /fleet/drift and GET /audit over HTTP: the deployed cluster, in sync, and both calls audited (JSON and CSV)', async () => {
  const created = await call('sici-team-a', 'POST', '/clusters', { environment: 'dev', tier: 'S' });
  expect(created.status).toBe(202);
  const { clusterId } = created.json.cluster;
  await until('sici-team-a', `/clusters/${clusterId}`, (cluster) => cluster.status === 'ACTIVE');

  const fleet = await call('sici-admin', 'GET', '/fleet/clusters?environment=dev&limit=10');
  expect(fleet.status).toBe(200);
  const listed = fleet.json.items.find((cluster: { clusterId: string }) => cluster.clusterId === clusterId);
  expect(listed).toMatchObject({ teamId: 'team-a', status: 'ACTIVE', sourceVersion: SOURCE_VERSION, skew: { behind: false }, engine: { trinoRelease: expect.any(Number) } });
  expect((await call('sici-team-a', 'GET', '/fleet/clusters')).status).toBe(403);

  const check = await call('sici-admin', 'POST', '/fleet/drift', { selector: { clusterIds: [clusterId] } });
  expect(check.status).toBe(202);
  const operation = await until('sici-admin', check.json.links.operation, (json) => json.status !== 'RUNNING');
  expect(operation).toMatchObject({ kind: 'DRIFT_CHECK', status: 'SUCCEEDED', outcomes: [{ clusterId, status: 'CHECKED', detail: 'IN_SYNC' }] });
  expect((await call('sici-team-a', 'GET', `/clusters/${clusterId}`)).json.drift).toMatchObject({ status: 'IN_SYNC', operationId: check.json.operationId, resources: [] });
  const report = await call('sici-admin', 'GET', '/fleet/drift');
  expect(report.json).toMatchObject({ lastCheck: { operationId: check.json.operationId, status: 'SUCCEEDED' } });
  expect(report.json.counts.inSync).toBeGreaterThanOrEqual(1);

  const audit = await call('sici-admin', 'GET', '/audit?limit=100');
  expect(audit.status).toBe(200);
  const actions = audit.json.items.map((record: { action: string; entity: string }) => `${record.action} ${record.entity}`);
  expect(actions).toEqual(expect.arrayContaining([`createCluster cluster/${clusterId}`, 'startDriftCheck fleet']));
  // Newest first: the drift check came after the create.
  expect(actions.indexOf('startDriftCheck fleet')).toBeLessThan(actions.indexOf(`createCluster cluster/${clusterId}`));
  expect((await call('sici-team-a', 'GET', '/audit')).status).toBe(403);

  const admin = profile('sici-admin');
  const { stdout } = await run('curl', [
    '-s', '--aws-sigv4', 'aws:amz:us-east-1:execute-api', '--user', `${admin.accessKeyId}:${admin.secretAccessKey}`,
    '-H', 'accept: text/csv', `${plane.url}/audit?action=startDriftCheck&limit=5`,
  ]);
  const lines = stdout.split('\r\n');
  expect(lines[0]).toBe(AUDIT_CSV_HEADER.join(','));
  expect(lines[1]).toContain(`,startDriftCheck,fleet,SUCCEEDED,202,`);
  expect(lines.at(-1)).toBe('');
});
