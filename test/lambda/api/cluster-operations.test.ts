import { clusterKey } from '../../../lambda/core/cluster-store';
import { jobsInFlightSince } from '../../../lambda/core/job-store';
import { ADMIN, ApiHarness, principalOf } from '../../support/api-harness';

const ALICE = principalOf('alice');
const BOB = principalOf('bob');
const STRANGER = principalOf('stranger');

let api: ApiHarness;

beforeAll(async () => {
  api = await ApiHarness.start();
  await api.registerTeam('analytics', [ALICE], { tiers: ['S', 'M'], environments: ['dev'], maxClusters: 3 });
  await api.registerTeam('finance', [BOB], { tiers: ['S', 'M', 'L'], environments: ['dev', 'test'], maxClusters: 20 });
});
afterAll(() => api.stop());

/** What the workflow does when a job ends: the cluster takes its new status and no job holds it. */
const setStatus = (clusterId: string, status: string) => api.settle(clusterKey(clusterId), status);

describe('POST /clusters', () => {
  it('accepts a cluster: 202, a Location to the job, the cluster PROVISIONING, its job PENDING and a first event', async () => {
    const answer = await api.call(ALICE, 'POST', '/clusters', { body: { environment: 'dev', tier: 'S', name: 'reporting' } });
    expect(answer.status).toBe(202);
    expect(answer.headers.location).toBe(`/jobs/${answer.json.jobId}`);
    expect(answer.json.cluster).toMatchObject({ teamId: 'analytics', environment: 'dev', tier: 'S', status: 'PROVISIONING', name: 'reporting' });
    const { clusterId } = answer.json.cluster;

    const cluster = await api.call(ALICE, 'GET', `/clusters/${clusterId}`);
    expect(cluster.status).toBe(200);
    expect(cluster.json).toMatchObject({ clusterId, status: 'PROVISIONING', activeJobId: answer.json.jobId, endpoint: null });

    const job = await api.call(ALICE, 'GET', `/jobs/${answer.json.jobId}`);
    expect(job.json).toMatchObject({ jobId: answer.json.jobId, clusterId, operationType: 'CREATE', status: 'PENDING' });

    const events = await api.call(ALICE, 'GET', `/clusters/${clusterId}/events`);
    expect(events.json.items).toHaveLength(1);
    expect(events.json.items[0]).toMatchObject({ type: 'JOB_ACCEPTED', jobId: answer.json.jobId, status: 'PROVISIONING' });

    expect(api.startedJobs.map((started) => started.jobId)).toContain(answer.json.jobId);
  });

  it('refuses a tier or environment outside the entitlement with 403 naming the field', async () => {
    const tier = await api.call(ALICE, 'POST', '/clusters', { body: { environment: 'dev', tier: 'L' } });
    expect(tier.status).toBe(403);
    expect(tier.headers['content-type']).toBe('application/problem+json');
    expect(tier.json.errors).toEqual([{ field: 'body.tier', message: expect.stringContaining('tier L') }]);

    const environment = await api.call(ALICE, 'POST', '/clusters', { body: { environment: 'test', tier: 'S' } });
    expect(environment.status).toBe(403);
    expect(environment.json.errors[0].field).toBe('body.environment');
  });

  it('refuses unknown principals with 403 and unknown fields with 400', async () => {
    const unknown = await api.call(STRANGER, 'POST', '/clusters', { body: { environment: 'dev', tier: 'S' } });
    expect(unknown.status).toBe(403);
    expect(unknown.json.type).toMatch(/unauthenticated$/);

    const extra = await api.call(ALICE, 'POST', '/clusters', { body: { environment: 'dev', tier: 'S', nodeCount: 40 } });
    expect(extra.status).toBe(400);
    expect(extra.json.errors).toEqual([expect.objectContaining({ field: 'body' , message: expect.stringContaining('nodeCount') })]);
  });

  it('enforces the cluster quota atomically, even under concurrent creates', async () => {
    await api.registerTeam('quota', [principalOf('quota')], { tiers: ['S'], environments: ['dev'], maxClusters: 2 });
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => api.call(principalOf('quota'), 'POST', '/clusters', { body: { environment: 'dev', tier: 'S' } })),
    );
    expect(answers.filter((a) => a.status === 202)).toHaveLength(2);
    const refused = answers.filter((a) => a.status === 403);
    expect(refused).toHaveLength(4);
    expect(refused[0].json.detail).toMatch(/quota of 2/);
    const team = await api.call(principalOf('admin-check') , 'GET', '/teams/quota');
    expect(team.status).toBe(403); // not an admin
    const clusters = (await api.items('state')).filter((item) => item.itemType === 'cluster' && item.teamId === 'quota');
    expect(clusters).toHaveLength(2);
  });

  it('still answers 202 when the workflow cannot be started, leaving the job PENDING for the reconciler', async () => {
    api.failJobStarts = true;
    try {
      const answer = await api.call(BOB, 'POST', '/clusters', { body: { environment: 'test', tier: 'L' } });
      expect(answer.status).toBe(202);
      const pending = await jobsInFlightSince(api.tables, 'PENDING', new Date(Date.now() + 60_000));
      expect(pending).toContainEqual(expect.objectContaining({ jobId: answer.json.jobId, status: 'PENDING' }));
    } finally {
      api.failJobStarts = false;
    }
  });
});

describe('Idempotency-Key', () => {
  it('returns the first answer to a retry and creates nothing more', async () => {
    const headers = { 'idempotency-key': 'create-analytics-1' };
    const before = (await api.items('state')).length;
    const first = await api.call(BOB, 'POST', '/clusters', { body: { environment: 'dev', tier: 'M' }, headers });
    const afterFirst = (await api.items('state')).length;
    const retry = await api.call(BOB, 'POST', '/clusters', { body: { environment: 'dev', tier: 'M' }, headers });
    expect(first.status).toBe(202);
    expect(retry.status).toBe(202);
    expect(retry.body).toBe(first.body);
    expect(retry.headers.location).toBe(first.headers.location);
    expect(retry.headers['idempotency-replayed']).toBe('true');
    expect((await api.items('state')).length).toBe(afterFirst);
    expect(afterFirst).toBeGreaterThan(before);
  });

  it('answers concurrent retries with one creation', async () => {
    const headers = { 'idempotency-key': 'concurrent-1' };
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => api.call(BOB, 'POST', '/clusters', { body: { environment: 'dev', tier: 'S' }, headers })),
    );
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([202]));
    expect(new Set(answers.map((a) => a.json.cluster.clusterId)).size).toBe(1);
  });

  it('never replays another body\'s answer to a concurrent retry with the same key: each call gets its own cluster\'s answer or 422', async () => {
    for (let round = 0; round < 5; round++) {
      const headers = { 'idempotency-key': `race-${round}` };
      const tiers = ['S', 'M', 'S', 'M', 'L', 'S'];
      const answers = await Promise.all(tiers.map((tier) => api.call(BOB, 'POST', '/clusters', { body: { environment: 'dev', tier }, headers })));
      const accepted = answers.flatMap((answer, i) => (answer.status === 202 ? [{ asked: tiers[i], got: answer.json.cluster.tier as string, id: answer.json.cluster.clusterId as string }] : []));
      expect(answers.every((answer) => answer.status === 202 || answer.status === 422)).toBe(true);
      expect(accepted.filter((a) => a.asked !== a.got)).toEqual([]);
      expect(new Set(accepted.map((a) => a.id)).size).toBe(1);
    }
  });

  it('refuses the same key with a different body (422) and a malformed key (400)', async () => {
    const headers = { 'idempotency-key': 'reused-key' };
    expect((await api.call(BOB, 'POST', '/clusters', { body: { environment: 'dev', tier: 'S' }, headers })).status).toBe(202);
    const reused = await api.call(BOB, 'POST', '/clusters', { body: { environment: 'dev', tier: 'M' }, headers });
    expect(reused.status).toBe(422);
    const malformed = await api.call(BOB, 'POST', '/clusters', { body: { environment: 'dev', tier: 'M' }, headers: { 'idempotency-key': 'é'.repeat(3) } });
    expect(malformed.status).toBe(400);
    expect(malformed.json.errors[0].field).toBe('headers.idempotency-key');
  });

  it('keeps keys per team: another team with the same key creates its own cluster', async () => {
    const headers = { 'idempotency-key': 'shared-key' };
    const bob = await api.call(BOB, 'POST', '/clusters', { body: { environment: 'dev', tier: 'S' }, headers });
    const alice = await api.call(ALICE, 'POST', '/clusters', { body: { environment: 'dev', tier: 'S' }, headers });
    expect(alice.status).toBe(202);
    expect(alice.json.cluster.clusterId).not.toBe(bob.json.cluster.clusterId);
    expect(alice.json.cluster.teamId).toBe('analytics');
  });
});

describe('team isolation', () => {
  it("answers 404 for another team's cluster, job and events, and does not list them", async () => {
    const created = await api.call(BOB, 'POST', '/clusters', { body: { environment: 'dev', tier: 'S' } });
    const { clusterId } = created.json.cluster;
    for (const path of [`/clusters/${clusterId}`, `/clusters/${clusterId}/events`, `/jobs/${created.json.jobId}`]) {
      const answer = await api.call(ALICE, 'GET', path);
      expect(answer.status).toBe(404);
      expect(answer.headers['content-type']).toBe('application/problem+json');
    }
    expect((await api.call(ALICE, 'DELETE', `/clusters/${clusterId}`)).status).toBe(404);
    const listed = await api.call(ALICE, 'GET', '/clusters', { query: { limit: '100' } });
    expect(listed.json.items.every((c: { teamId: string }) => c.teamId === 'analytics')).toBe(true);
  });
});

describe('GET /clusters paging and filters', () => {
  it('pages through every cluster of the team exactly once, newest first', async () => {
    const pager = principalOf('pager');
    await api.registerTeam('pager', [pager], { tiers: ['S', 'M'], environments: ['dev', 'test'], maxClusters: 50 });
    const created: string[] = [];
    for (let i = 0; i < 23; i++) {
      const answer = await api.call(pager, 'POST', '/clusters', { body: { environment: i % 3 === 0 ? 'test' : 'dev', tier: 'S' } });
      created.push(answer.json.cluster.clusterId);
    }
    const seen: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await api.call(pager, 'GET', '/clusters', { query: { limit: '5', ...(nextToken ? { nextToken } : {}) } });
      expect(page.status).toBe(200);
      expect(page.json.items.length).toBeLessThanOrEqual(5);
      seen.push(...page.json.items.map((c: { clusterId: string }) => c.clusterId));
      nextToken = page.json.nextToken;
      pages++;
    } while (nextToken);
    expect(pages).toBe(5);
    expect(seen).toEqual([...created].reverse());

    const testOnly: string[] = [];
    nextToken = undefined;
    do {
      const page = await api.call(pager, 'GET', '/clusters', { query: { limit: '3', environment: 'test', ...(nextToken ? { nextToken } : {}) } });
      testOnly.push(...page.json.items.map((c: { clusterId: string; environment: string }) => (expect(c.environment).toBe('test'), c.clusterId)));
      nextToken = page.json.nextToken;
    } while (nextToken);
    expect(testOnly).toEqual(created.filter((_, i) => i % 3 === 0).reverse());

    const active = await api.call(pager, 'GET', '/clusters', { query: { status: 'ACTIVE' } });
    expect(active.json.items).toEqual([]);
  });

  it("refuses a nextToken that pages into another team's clusters", async () => {
    for (let i = 0; i < 2; i++) expect((await api.call(BOB, 'POST', '/clusters', { body: { environment: 'dev', tier: 'S' } })).status).toBe(202);
    const financePage = await api.call(BOB, 'GET', '/clusters', { query: { limit: '1' } });
    const financeToken = financePage.json.nextToken as string;
    expect(financeToken).toBeDefined();
    expect((await api.call(BOB, 'GET', '/clusters', { query: { limit: '1', nextToken: financeToken } })).status).toBe(200);
    const answer = await api.call(ALICE, 'GET', '/clusters', { query: { nextToken: financeToken } });
    expect(answer.status).toBe(400);
    expect(answer.json.errors[0].field).toBe('query.nextToken');
    const garbage = await api.call(ALICE, 'GET', '/clusters', { query: { nextToken: 'not-a-token' } });
    expect(garbage.status).toBe(400);
  });

  it('reads limit as an integer only when it is written as one', async () => {
    for (const limit of ['5.0', ' 5', '5 ', '1e1', '+5', '0x5', '', '５']) {
      const answer = await api.call(ALICE, 'GET', '/clusters', { query: { limit } });
      expect([limit, answer.status, answer.json.errors?.[0]?.field]).toEqual([limit, 400, 'query.limit']);
    }
    expect((await api.call(ALICE, 'GET', '/clusters', { query: { limit: '5' } })).status).toBe(200);
  });

  it('rejects bad query strings with 400 naming the parameter', async () => {
    const answer = await api.call(ALICE, 'GET', '/clusters', { query: { limit: '1000', colour: 'red' } });
    expect(answer.status).toBe(400);
    expect(answer.json.errors.map((e: { field: string }) => e.field).sort()).toEqual(['query', 'query.limit']);
    const repeated = await api.call(ALICE, 'GET', '/clusters', { query: { status: ['ACTIVE', 'FAILED'] } });
    expect(repeated.status).toBe(400);
  });
});

describe('DELETE /clusters/{id} and status transitions', () => {
  it('refuses to delete while the create job is in flight (409), then accepts once the cluster is ACTIVE', async () => {
    const created = await api.call(BOB, 'POST', '/clusters', { body: { environment: 'dev', tier: 'S' } });
    const { clusterId } = created.json.cluster;
    const early = await api.call(BOB, 'DELETE', `/clusters/${clusterId}`);
    expect(early.status).toBe(409);
    expect(early.json.detail).toContain(created.json.jobId);

    await setStatus(clusterId, 'ACTIVE'); // what the workflow does when the deploy succeeds
    const deleted = await api.call(BOB, 'DELETE', `/clusters/${clusterId}`);
    expect(deleted.status).toBe(202);
    expect(deleted.json).toMatchObject({ operationType: 'DELETE', cluster: { status: 'DELETING' } });
    expect((await api.call(BOB, 'GET', `/clusters/${clusterId}`)).json.status).toBe('DELETING');
    const events = await api.call(BOB, 'GET', `/clusters/${clusterId}/events`);
    expect(events.json.items.map((e: { status: string }) => e.status)).toEqual(['PROVISIONING', 'DELETING']);
  });

  it('lets exactly one of two concurrent deletes through (one job in flight per cluster)', async () => {
    const created = await api.call(BOB, 'POST', '/clusters', { body: { environment: 'dev', tier: 'S' } });
    await setStatus(created.json.cluster.clusterId, 'FAILED');
    const answers = await Promise.all([1, 2, 3].map(() => api.call(BOB, 'DELETE', `/clusters/${created.json.cluster.clusterId}`)));
    expect(answers.map((a) => a.status).sort()).toEqual([202, 409, 409]);
    const jobs = (await api.items('state')).filter((i) => i.itemType === 'job' && i.clusterId === created.json.cluster.clusterId && i.operationType === 'DELETE');
    expect(jobs).toHaveLength(1);
  });

  it('refuses to delete a DELETED cluster (409) and keeps it readable for history', async () => {
    const created = await api.call(BOB, 'POST', '/clusters', { body: { environment: 'dev', tier: 'S' } });
    await setStatus(created.json.cluster.clusterId, 'DELETED');
    const answer = await api.call(BOB, 'DELETE', `/clusters/${created.json.cluster.clusterId}`);
    expect(answer.status).toBe(409);
    expect(answer.json.detail).toMatch(/DELETED/);
    expect((await api.call(BOB, 'GET', `/clusters/${created.json.cluster.clusterId}`)).json.status).toBe('DELETED');
  });

  it('answers 404 for an id that cannot exist and 405 for a method a path does not take', async () => {
    expect((await api.call(BOB, 'GET', '/clusters/not-an-id')).status).toBe(404);
    expect((await api.call(BOB, 'PATCH', '/clusters')).status).toBe(405);
    expect((await api.call(BOB, 'GET', '/nowhere')).status).toBe(404);
  });
});

describe('PATCH /clusters/{id}', () => {
  it('changes the tier through an UPDATE job, within the entitlement, one job at a time', async () => {
    const created = await api.call(ALICE, 'POST', '/clusters', { body: { environment: 'dev', tier: 'S' } });
    const { clusterId } = created.json.cluster;
    expect((await api.call(ALICE, 'PATCH', `/clusters/${clusterId}`, { body: { tier: 'M' } })).status).toBe(409); // CREATE in flight

    await setStatus(clusterId, 'ACTIVE');
    const notEntitled = await api.call(ALICE, 'PATCH', `/clusters/${clusterId}`, { body: { tier: 'L' } });
    expect(notEntitled.status).toBe(403);
    expect(notEntitled.json.errors[0].field).toBe('body.tier');
    expect((await api.call(ALICE, 'PATCH', `/clusters/${clusterId}`, { body: { tier: 'S' } })).status).toBe(409); // nothing to change
    expect((await api.call(ALICE, 'PATCH', `/clusters/${clusterId}`, { body: { tier: 'M', nodes: 9 } })).status).toBe(400);

    const updated = await api.call(ALICE, 'PATCH', `/clusters/${clusterId}`, { body: { tier: 'M' } });
    expect(updated.status).toBe(202);
    expect(updated.json).toMatchObject({ operationType: 'UPDATE', cluster: { tier: 'M', status: 'UPDATING', activeJobId: updated.json.jobId } });
    expect(updated.headers.location).toBe(`/jobs/${updated.json.jobId}`);
    expect((await api.call(ALICE, 'GET', `/clusters/${clusterId}`)).json).toMatchObject({ tier: 'M', status: 'UPDATING' });
    expect((await api.call(ALICE, 'DELETE', `/clusters/${clusterId}`)).status).toBe(409); // UPDATE in flight
    expect((await api.call(BOB, 'PATCH', `/clusters/${clusterId}`, { body: { tier: 'M' } })).status).toBe(404);
  });
});

describe('ids in the path', () => {
  it('refuses an id that is not one SICI issues before it reaches a key, and audits the refusal under the collection', async () => {
    const long = `c-${'a'.repeat(2100)}`;
    const answers = [
      await api.call(ALICE, 'DELETE', `/clusters/${long}`),
      await api.call(ALICE, 'PATCH', `/clusters/${long}`, { body: { tier: 'M' } }),
      await api.call(ALICE, 'POST', `/clusters/${long}/datasources`, { body: {} }),
      await api.call(ADMIN, 'PUT', `/teams/${'t'.repeat(2100)}`, { body: { principals: [principalOf('x')], entitlements: { tiers: ['S'], environments: ['dev'], maxClusters: 1 } } }),
    ];
    expect(answers.map((a) => a.status)).toEqual([404, 404, 404, 400]);
    const requestIds = new Set(answers.map((a) => a.headers['x-request-id']));
    const records = (await api.items('audit')).filter((r) => requestIds.has(String(r.requestId)));
    expect(records.map((r) => [r.action, r.outcome, r.entity]).sort()).toEqual(
      [
        ['createDatasource', 'REFUSED', 'clusters'],
        ['deleteCluster', 'REFUSED', 'clusters'],
        ['putTeam', 'REFUSED', 'teams'],
        ['updateCluster', 'REFUSED', 'clusters'],
      ].sort(),
    );
    for (const record of records) expect(String((record.metadata as { path: string }).path)).toMatch(/… \(\d+ characters\)$/);
  });

  it('audits a refusal of a valid id under that id, as its success would be', async () => {
    const owner = principalOf('audited-ids');
    await api.registerTeam('audited-ids', [owner], { tiers: ['S'], environments: ['dev'], maxClusters: 1 });
    const created = await api.call(owner, 'POST', '/clusters', { body: { environment: 'dev', tier: 'S' } });
    const { clusterId } = created.json.cluster;
    const refused = await api.call(owner, 'DELETE', `/clusters/${clusterId}`); // its CREATE job is in flight
    expect(refused.status).toBe(409);
    const record = (await api.items('audit')).find((r) => r.requestId === refused.headers['x-request-id']);
    expect(record).toMatchObject({ action: 'deleteCluster', outcome: 'REFUSED', entity: `cluster/${clusterId}`, status: 409 });
  });
});
