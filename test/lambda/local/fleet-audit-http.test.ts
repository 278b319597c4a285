import { AUDIT_CSV_HEADER } from '../../../lambda/api/audit-csv';
import { clusterKey } from '../../../lambda/core/cluster-store';
import { ADMIN, ApiHarness, principalOf } from '../../support/api-harness';
import { LocalEdge } from '../../support/local-edge';

/**
 * GET /fleet/clusters and GET /audit over a real socket: the local control plane's HTTP server (the
 * edge API Gateway is in AWS) in front of the router over dynalite, each request signed with SigV4
 * by the AWS SDK's signer and verified by the server. (test/e2e/fleet-view.e2e.test.ts drives the
 * same routes on the whole local control plane in its own process.)
 */

const ALICE = principalOf('fleet-http-alice');
let api: ApiHarness;
let edge: LocalEdge;
let clusterId: string;
beforeAll(async () => {
  api = await ApiHarness.start();
  await api.registerTeam('fleet-http-a', [ALICE]);
  const created = await api.call(ALICE, 'POST', '/clusters', { body: { environment: 'dev', tier: 'S' } });
  clusterId = created.json.cluster.clusterId;
  await api.settle(clusterKey(clusterId), 'ACTIVE');
  edge = await LocalEdge.start(api, [ADMIN, ALICE]);
});
afterAll(async () => {
  await edge.stop();
  await api.stop();
});

const get = async (principal: string, target: string, headers: Record<string, string> = {}) => {
  const { answer } = await edge.send({ method: 'GET', target, headers }, principal);
  if (!answer) throw new Error(`no answer to GET ${target}`);
  return answer;
};

it('GET /fleet/clusters: the admin sees the team\'s cluster with its skew; the team is refused', async () => {
  const answer = await get(ADMIN, '/fleet/clusters?environment=dev&limit=5');
  expect(answer.status).toBe(200);
  expect(answer.headers.get('content-type')).toBe('application/json');
  expect(JSON.parse(answer.body).items).toEqual([expect.objectContaining({ clusterId, teamId: 'fleet-http-a', status: 'ACTIVE', skew: { behind: false } })]);
  const refused = await get(ALICE, '/fleet/clusters');
  expect(refused.status).toBe(403);
  expect(refused.headers.get('content-type')).toBe('application/problem+json');
  expect(edge.crashes).toEqual([]);
});

it('GET /audit: the cluster\'s creation as JSON, then as CSV for Accept: text/csv, with the next page\'s token; a bad range names its field', async () => {
  const json = await get(ADMIN, `/audit?entity=${encodeURIComponent(`cluster/${clusterId}`)}`);
  expect(json.status).toBe(200);
  expect(JSON.parse(json.body).items).toEqual([expect.objectContaining({ action: 'createCluster', actor: ALICE, teamId: 'fleet-http-a', outcome: 'SUCCEEDED', status: 202 })]);

  const csv = await get(ADMIN, '/audit?limit=1', { accept: 'text/csv' });
  expect(csv.status).toBe(200);
  expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
  const lines = csv.body.split('\r\n');
  expect(lines).toHaveLength(3);
  expect(lines[0]).toBe(AUDIT_CSV_HEADER.join(','));
  expect(csv.headers.get('x-next-token')).toBeDefined();

  const reversed = await get(ADMIN, '/audit?from=2026-11-12T00%3A00%3A00.000Z&to=2026-11-11T00%3A00%3A00.000Z');
  expect(reversed.status).toBe(400);
  expect(JSON.parse(reversed.body).errors).toEqual([expect.objectContaining({ field: 'query.from' })]);
  expect((await get(ALICE, '/audit')).status).toBe(403);
  expect(edge.crashes).toEqual([]);
});
