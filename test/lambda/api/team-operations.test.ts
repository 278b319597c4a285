import { clusterKey } from '../../../lambda/core/cluster-store';
import { ADMIN, ApiHarness, principalOf } from '../../support/api-harness';

let api: ApiHarness;
beforeAll(async () => {
  api = await ApiHarness.start();
});
afterAll(() => api.stop());

const entitlements = { tiers: ['S'], environments: ['dev'], maxClusters: 2 };

describe('admin team registry', () => {
  it('registers, shows, replaces and lists teams', async () => {
    const created = await api.call(ADMIN, 'PUT', '/teams/marketing', { body: { principals: [principalOf('m1'), principalOf('m2')], entitlements } });
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ teamId: 'marketing', clusterCount: 0, principals: [principalOf('m1'), principalOf('m2')] });

    const replaced = await api.call(ADMIN, 'PUT', '/teams/marketing', {
      body: { principals: [principalOf('m2'), principalOf('m3')], entitlements: { ...entitlements, maxClusters: 4 } },
    });
    expect(replaced.json).toMatchObject({ createdAt: created.json.createdAt, entitlements: { maxClusters: 4 } });

    // m1 was removed: it no longer acts for the team; m3 does.
    expect((await api.call(principalOf('m1'), 'GET', '/clusters')).status).toBe(403);
    expect((await api.call(principalOf('m3'), 'GET', '/clusters')).status).toBe(200);

    const shown = await api.call(ADMIN, 'GET', '/teams/marketing');
    expect(shown.json).toEqual(replaced.json);

    for (let i = 0; i < 4; i++) await api.registerTeam(`team-${i}`, [principalOf(`t${i}`)]);
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await api.call(ADMIN, 'GET', '/teams', { query: { limit: '2', ...(nextToken ? { nextToken } : {}) } });
      names.push(...page.json.items.map((t: { teamId: string }) => t.teamId));
      nextToken = page.json.nextToken;
    } while (nextToken);
    expect(names.sort()).toEqual(['marketing', 'team-0', 'team-1', 'team-2', 'team-3']);
  });

  it('refuses a principal that already belongs to another team (409) and changes nothing', async () => {
    await api.registerTeam('owner', [principalOf('shared')]);
    const before = await api.items('state');
    const answer = await api.call(ADMIN, 'PUT', '/teams/intruder', { body: { principals: [principalOf('fresh'), principalOf('shared')], entitlements } });
    expect(answer.status).toBe(409);
    expect(answer.json.detail).toContain(principalOf('shared'));
    expect(await api.items('state')).toEqual(before);
  });

  it('is for admins only, and validates the team id and body', async () => {
    await api.registerTeam('ops', [principalOf('ops')]);
    expect((await api.call(principalOf('ops'), 'GET', '/teams')).status).toBe(403);
    expect((await api.call(principalOf('ops'), 'PUT', '/teams/ops', { body: { principals: [principalOf('ops')], entitlements } })).status).toBe(403);
    const badId = await api.call(ADMIN, 'PUT', '/teams/Not_A_Team', { body: { principals: [principalOf('x')], entitlements } });
    expect(badId.status).toBe(400);
    expect(badId.json.errors[0].field).toBe('path.teamId');
    const badBody = await api.call(ADMIN, 'PUT', '/teams/valid-team', { body: { principals: ['not-an-arn'], entitlements: { tiers: ['XL'] } } });
    expect(badBody.status).toBe(400);
    expect(badBody.json.errors.map((e: { field: string }) => e.field)).toEqual(
      expect.arrayContaining(['body.principals.0', 'body.entitlements.tiers.0', 'body.entitlements.environments', 'body.entitlements.maxClusters']),
    );
    expect((await api.call(ADMIN, 'GET', '/teams/nobody')).status).toBe(404);
    // Admins are not team members: cluster routes are refused.
    expect((await api.call(ADMIN, 'GET', '/clusters')).status).toBe(403);
  });

  it('accepts role sessions as their role', async () => {
    await api.registerTeam('sessions', ['arn:aws:iam::123456789012:role/Deployer']);
    const answer = await api.call('arn:aws:sts::123456789012:assumed-role/Deployer/ci-run-42', 'GET', '/clusters');
    expect(answer.status).toBe(200);
  });
});

describe('audit', () => {
  it('writes exactly one record per mutating call, allowed or refused, and none for reads', async () => {
    const auditor = await ApiHarness.start();
    try {
      const member = principalOf('audited');
      await auditor.registerTeam('audited', [member], { tiers: ['S'], environments: ['dev'], maxClusters: 1 });
      const calls = [
        () => auditor.call(member, 'POST', '/clusters', { body: { environment: 'dev', tier: 'S' }, headers: { 'idempotency-key': 'k1' } }), // SUCCEEDED
        () => auditor.call(member, 'POST', '/clusters', { body: { environment: 'dev', tier: 'S' }, headers: { 'idempotency-key': 'k1' } }), // REPLAYED
        () => auditor.call(member, 'POST', '/clusters', { body: { environment: 'dev', tier: 'S' } }), // REFUSED: quota
        () => auditor.call(member, 'POST', '/clusters', { rawBody: '{oops' }), // REFUSED: not JSON
        () => auditor.call(principalOf('nobody'), 'DELETE', '/clusters/c-0000000000000000'), // REFUSED: unknown principal
        () => auditor.call(member, 'GET', '/clusters'), // a read: not audited
      ];
      const answers = [];
      for (const call of calls) answers.push(await call());
      expect(answers.map((a) => a.status)).toEqual([202, 202, 403, 400, 403, 200]);

      const records = (await auditor.items('audit')).sort((a, b) => String(a.time).localeCompare(String(b.time)));
      // 1 for registering the team + 5 mutating calls
      expect(records).toHaveLength(6);
      const byRequest = new Map(records.map((r) => [r.requestId, r]));
      expect(byRequest.get('req-2')).toMatchObject({ action: 'createCluster', outcome: 'SUCCEEDED', status: 202, actor: member, teamId: 'audited', sourceIp: '192.0.2.10', entity: `cluster/${answers[0].json.cluster.clusterId}` });
      expect(byRequest.get('req-3')).toMatchObject({ outcome: 'REPLAYED', status: 202 });
      expect(byRequest.get('req-4')).toMatchObject({ outcome: 'REFUSED', status: 403 });
      expect(byRequest.get('req-5')).toMatchObject({ outcome: 'REFUSED', status: 400 });
      expect(byRequest.get('req-6')).toMatchObject({ outcome: 'REFUSED', status: 403, actor: principalOf('nobody'), action: 'deleteCluster' });
      for (const record of records) {
        expect(record).toEqual(expect.objectContaining({ time: expect.any(String), requestId: expect.any(String), entity: expect.any(String) }));
      }
    } finally {
      await auditor.stop();
    }
  });
});

describe('query groups', () => {
  const readers = { name: 'Lake Readers', role: 'reader' };
  const admins = { name: '/lake/admins', role: 'admin' };

  it('registers groups with their roles, and refuses a bad group or role (400 naming it), changing nothing', async () => {
    const registered = await api.call(ADMIN, 'PUT', '/teams/lake-a', { body: { principals: [principalOf('lake-a')], entitlements, groups: [readers, admins] } });
    expect(registered.status).toBe(200);
    expect(registered.json.groups).toEqual([readers, admins]);
    expect(registered.json.clusterUpdates).toBeUndefined(); // a new team has no clusters to update
    const before = await api.items('state');
    const bad = await api.call(ADMIN, 'PUT', '/teams/lake-a', {
      body: { principals: [principalOf('lake-a')], entitlements, groups: [{ name: ' padded', role: 'reader' }, { name: 'ok', role: 'owner' }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.errors.map((e: { field: string }) => e.field).sort()).toEqual(['body.groups.0.name', 'body.groups.1.role']);
    const twice = await api.call(ADMIN, 'PUT', '/teams/lake-a', { body: { principals: [principalOf('lake-a')], entitlements, groups: [readers, readers] } });
    expect([twice.status, twice.json.errors[0].field]).toEqual([400, 'body.groups.1.name']);
    expect(await api.items('state')).toEqual(before);
  });

  it('gives a group to one team only (409, nothing changed), and to another once the first lets it go', async () => {
    await api.call(ADMIN, 'PUT', '/teams/lake-b', { body: { principals: [principalOf('lake-b')], entitlements, groups: [{ name: 'shared-group', role: 'reader' }] } });
    const before = await api.items('state');
    const taken = await api.call(ADMIN, 'PUT', '/teams/lake-c', { body: { principals: [principalOf('lake-c')], entitlements, groups: [{ name: 'shared-group', role: 'admin' }] } });
    expect(taken.status).toBe(409);
    expect(taken.json.detail).toContain('shared-group');
    expect(await api.items('state')).toEqual(before);

    expect((await api.call(ADMIN, 'PUT', '/teams/lake-b', { body: { principals: [principalOf('lake-b')], entitlements, groups: [] } })).status).toBe(200);
    const moved = await api.call(ADMIN, 'PUT', '/teams/lake-c', { body: { principals: [principalOf('lake-c')], entitlements, groups: [{ name: 'shared-group', role: 'admin' }] } });
    expect(moved.status).toBe(200);
  });

  it('re-renders the access rules of the team\'s ACTIVE clusters through UPDATE jobs when its groups change; busy clusters wait for their next job', async () => {
    const owner = principalOf('rerender');
    const base = { principals: [owner], entitlements: { tiers: ['S'], environments: ['dev'], maxClusters: 3 } };
    await api.call(ADMIN, 'PUT', '/teams/rerender', { body: { ...base, groups: [readers].map((g) => ({ ...g, name: 'rerender-readers' })) } });
    const [idle, busy] = [
      (await api.call(owner, 'POST', '/clusters', { body: { environment: 'dev', tier: 'S' } })).json.cluster.clusterId as string,
      (await api.call(owner, 'POST', '/clusters', { body: { environment: 'dev', tier: 'S' } })).json.cluster.clusterId as string,
    ];
    await api.settle(clusterKey(idle), 'ACTIVE'); // the busy one's CREATE job is still in flight

    const unchanged = await api.call(ADMIN, 'PUT', '/teams/rerender', { body: { ...base, groups: [{ name: 'rerender-readers', role: 'reader' }] } });
    expect(unchanged.json.clusterUpdates).toBeUndefined();

    const changed = await api.call(ADMIN, 'PUT', '/teams/rerender', { body: { ...base, groups: [{ name: 'rerender-readers', role: 'writer' }] } });
    expect(changed.status).toBe(200);
    const { started, deferred } = changed.json.clusterUpdates;
    expect(started).toEqual([{ clusterId: idle, jobId: expect.stringMatching(/^j-/) }]);
    expect(deferred).toEqual([{ clusterId: busy, status: 'PROVISIONING', activeJobId: expect.stringMatching(/^j-/) }]);
    expect((await api.call(owner, 'GET', `/jobs/${started[0].jobId}`)).json).toMatchObject({ operationType: 'UPDATE', clusterId: idle, status: 'PENDING' });
    expect((await api.call(owner, 'GET', `/clusters/${idle}`)).json).toMatchObject({ status: 'UPDATING', activeJobId: started[0].jobId });
    expect(api.startedJobs.map((job) => job.jobId)).toContain(started[0].jobId);
  });

  it('refuses a change too large for one transaction (400), changing nothing', async () => {
    const many = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => principalOf(`${prefix}-${i}`));
    const groups = (prefix: string) => Array.from({ length: 20 }, (_, i) => ({ name: `${prefix}-${i}`, role: 'reader' }));
    await api.call(ADMIN, 'PUT', '/teams/huge', { body: { principals: many('old', 48), entitlements, groups: groups('old') } });
    const before = await api.items('state');
    const answer = await api.call(ADMIN, 'PUT', '/teams/huge', { body: { principals: many('new', 48), entitlements, groups: groups('new') } });
    expect(answer.status).toBe(400);
    expect(answer.json.detail).toMatch(/too many principals and groups for one step \(68 added, 68 removed\)/);
    expect(await api.items('state')).toEqual(before);
  });
});
