import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPlatformConfig } from '../../lib/config/load-platform-config';
import type { Cluster } from '../../lib/contract/api';
import { newClusterId } from '../../lib/contract/ids';
import { putClusterItem } from '../../lambda/core/cluster-store';
import { transact } from '../../lambda/core/tables';
import { startLocalControlPlane, type LocalControlPlane } from '../../lambda/local/local-control-plane';
import { SigV4Client } from '../../lambda/local/sigv4-client';
import type { Answer } from '../support/api-harness';

/**
 * The suspension routes over HTTP through the local control plane's server (SigV4 from the SDK's
 * signer, real sockets), with its in-process fleet worker and local cluster control.
 */

let dataDir: string;
let plane: LocalControlPlane;
const configFile = 'config/platform.json';

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sici-e2e-fleet-'));
  // Jobs held: the clusters below are put ACTIVE directly, as their CREATE job would leave them.
  plane = await startLocalControlPlane({ config: loadPlatformConfig(configFile), configFile, dataDir, port: 0, holdJobs: true });
});
afterAll(async () => {
  await plane.fleetWork.idle();
  await plane.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function activeCluster(teamId: string): Promise<string> {
  const time = new Date().toISOString();
  const cluster: Cluster = { clusterId: newClusterId(), teamId, environment: 'dev', tier: 'S', status: 'ACTIVE', endpoint: 'local://e2e', createdAt: time, updatedAt: time };
  await transact(plane.tables, [putClusterItem(plane.tables, cluster)]);
  return cluster.clusterId;
}

async function call(profile: string, method: string, path: string, body?: unknown) {
  const response = await new SigV4Client(plane.url, plane.profiles.profiles[profile]).fetch(method, path, body === undefined ? undefined : JSON.stringify(body));
  return { status: response.status, type: response.headers.get('content-type'), location: response.headers.get('location'), json: (await response.json()) as Answer['json'] };
}

it('lets team-a suspend and resume its own cluster; team-b gets 404 for it and 403 on the fleet routes', async () => {
  const clusterId = await activeCluster('team-a');
  expect((await call('sici-team-b', 'POST', `/clusters/${clusterId}/suspend`, { reason: 'not mine' })).status).toBe(404);
  expect((await call('sici-team-b', 'POST', '/fleet/shutdown', { reason: 'incident', selector: { environment: 'dev' } })).status).toBe(403);
  expect((await call('sici-team-b', 'GET', '/fleet/operations/fo-0123456789abcdef')).status).toBe(403);

  const suspend = await call('sici-team-a', 'POST', `/clusters/${clusterId}/suspend`, { reason: 'weekend' });
  expect(suspend.status).toBe(202);
  expect(suspend.location).toBe(`/fleet/operations/${suspend.json.operationId}`);
  await plane.fleetWork.idle();
  expect((await call('sici-team-a', 'GET', `/clusters/${clusterId}`)).json).toMatchObject({ status: 'SUSPENDED', suspension: { reason: 'weekend' } });
  expect(await plane.clusterControl.state(clusterId)).toMatchObject({ endpointBlocked: true, nodes: { coordinator: 0, worker: 0 } });

  expect((await call('sici-team-a', 'POST', `/clusters/${clusterId}/resume`)).status).toBe(202);
  await plane.fleetWork.idle();
  expect((await call('sici-team-a', 'GET', `/clusters/${clusterId}`)).json.status).toBe('ACTIVE');
});

it('shuts down and resumes an environment for an admin, refusing all without confirmAll and a selector matching nothing', async () => {
  const clusters = [await activeCluster('team-a'), await activeCluster('team-b')];
  const unconfirmed = await call('sici-admin', 'POST', '/fleet/shutdown', { reason: 'incident', selector: { all: true } });
  expect(unconfirmed.status).toBe(400);
  expect(unconfirmed.type).toBe('application/problem+json');
  expect(unconfirmed.json.errors).toEqual([expect.objectContaining({ field: 'body.confirmAll' })]);
  const nothing = await call('sici-admin', 'POST', '/fleet/shutdown', { reason: 'incident', selector: { environment: 'test' } });
  expect(nothing.status).toBe(422);

  const shutdown = await call('sici-admin', 'POST', '/fleet/shutdown', { reason: 'incident', selector: { all: true }, confirmAll: true });
  expect(shutdown.status).toBe(202);
  await plane.fleetWork.idle();
  const done = (await call('sici-admin', 'GET', `/fleet/operations/${shutdown.json.operationId}`)).json;
  expect(done).toMatchObject({ status: 'SUCCEEDED', counts: { matched: 3, done: 3, failed: 0, pending: 0 } }); // with the first test's cluster, resumed
  expect(done.allBlockedAt).toBeDefined();
  for (const clusterId of clusters) expect((await call('sici-admin', 'GET', `/fleet/operations/${shutdown.json.operationId}`)).json.outcomes).toContainEqual(expect.objectContaining({ clusterId, status: 'SUSPENDED' }));

  const resume = await call('sici-admin', 'POST', '/fleet/resume', { selector: { environment: 'dev' } });
  expect(resume.status).toBe(202);
  await plane.fleetWork.idle();
  expect((await call('sici-admin', 'GET', `/fleet/operations/${resume.json.operationId}`)).json).toMatchObject({ status: 'SUCCEEDED', counts: { done: 3 } });
});
