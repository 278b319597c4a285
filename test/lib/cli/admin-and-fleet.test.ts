import { startTestPlane, type Json, type TestPlane } from './cli-harness';

/**
 * The platform team's commands through `sici` as an admin: the team registry, a fleet shutdown and
 * resume followed with --wait, a team suspending its own cluster, the fleet view, the chargeback,
 * and the audit trail of all of it.
 */

let t: TestPlane;
const ADMIN = { AWS_PROFILE: 'sici-admin' };
const TEAM_A = { AWS_PROFILE: 'sici-team-a' };
let clusterId: string;

beforeAll(async () => {
  t = await startTestPlane();
  clusterId = (await t.json(['clusters', 'create', '--environment', 'dev', '--tier', 'S', '--wait'], TEAM_A)).clusterId;
});
afterAll(async () => {
  await t?.stop();
});

describe('teams', () => {
  it('registers a team from options, and lists and gets it', async () => {
    const put = await t.sici(
      ['teams', 'put', 'team-c', '--principal', 'arn:aws:iam::123456789012:role/team-c-dev', '--tiers', 'S,M', '--environments', 'dev', '--max-clusters', '2', '--group', 'team-c-analysts=reader'],
      ADMIN,
    );
    expect(put.stderr).toBe('');
    expect(put.code).toBe(0);
    expect(put.stdout).toMatch(/^tiers\s+S,M$/m);
    expect(put.stdout).toMatch(/^ {2}team-c-analysts {2}reader$/m);
    const list = await t.json(['teams', 'list'], ADMIN);
    expect(list.items.map((team: Json) => team.teamId)).toEqual(['team-a', 'team-b', 'team-c']);
    const team = await t.json(['teams', 'get', 'team-c'], ADMIN);
    expect(team.entitlements).toMatchObject({ tiers: ['S', 'M'], environments: ['dev'], maxClusters: 2 });
  });

  it("is not a team's to read or change (403, exit 1)", async () => {
    const run = await t.sici(['teams', 'list'], TEAM_A);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('error: 403 Forbidden: This route is for platform admins.\n');
    const shutdown = await t.sici(['fleet', 'shutdown', '--team', 'team-b', '--reason', 'not mine to stop'], TEAM_A);
    expect(shutdown.code).toBe(1);
    expect(shutdown.stderr).toBe('error: 403 Forbidden: This route is for platform admins.\n');
  });
});

describe('suspend and resume', () => {
  it('lets the team suspend its own cluster and resume it, following each to its end', async () => {
    const suspended = await t.json(['clusters', 'suspend', clusterId, '--reason', 'not needed this week', '--wait'], TEAM_A);
    expect(suspended).toMatchObject({ clusterId, status: 'SUSPENDED', suspension: { reason: 'not needed this week' } });
    const resumed = await t.json(['clusters', 'resume', clusterId, '--wait'], TEAM_A);
    expect(resumed.status).toBe('ACTIVE');
    expect(resumed.suspension).toBeUndefined();
  });
});

describe('fleet shutdown and resume', () => {
  let shutdownId: string;

  it('shuts the environment down with --wait: the cluster is SUSPENDED with the reason', async () => {
    const run = await t.sici(['fleet', 'shutdown', '--environment', 'dev', '--reason', 'Security incident INC-4711', '--wait'], ADMIN);
    expect(run.stderr).not.toMatch(/^error/m);
    expect(run.code).toBe(0);
    shutdownId = /^operation\s+(fo-[0-9a-z]{16})$/m.exec(run.stdout)![1];
    expect(run.stdout).toMatch(/^status\s+SUCCEEDED$/m);
    expect(run.stdout).toMatch(new RegExp(`^${clusterId}\\s+team-a\\s+dev\\s+SUSPENDED\\s`, 'm'));
    expect(run.stderr).toContain(`✓ SHUTDOWN ${shutdownId} SUCCEEDED`);
    const fleet = await t.json(['fleet', 'clusters', '--status', 'SUSPENDED'], ADMIN);
    expect(fleet.items.map((c: Json) => [c.clusterId, c.suspension?.reason])).toEqual([[clusterId, 'Security incident INC-4711']]);
  });

  it('refuses a selector of two forms before sending anything (exit 2)', async () => {
    const run = await t.sici(['fleet', 'resume', '--environment', 'dev', '--team', 'team-a'], ADMIN);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('error: choose the clusters with exactly one of --cluster, --environment, --team or --all (got --environment, --team)\n');
  });

  it('resumes it with --wait', async () => {
    const run = await t.json(['fleet', 'resume', '--cluster', clusterId, '--reason', 'incident closed', '--wait'], ADMIN);
    expect(run).toMatchObject({ kind: 'RESUME', status: 'SUCCEEDED' });
    expect(run.outcomes.map((o: Json) => [o.clusterId, o.status])).toEqual([[clusterId, 'RESUMED']]);
    expect((await t.json(['clusters', 'get', clusterId], TEAM_A)).status).toBe('ACTIVE');
  });

  it('shows the finished shutdown again', async () => {
    const run = await t.sici(['fleet', 'operation', shutdownId], ADMIN);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^kind\s+SHUTDOWN$/m);
    expect(run.stdout).toMatch(/^reason\s+Security incident INC-4711$/m);
  });
});

describe('the audit trail and the chargeback', () => {
  it('records every action above, newest first, with who did it', async () => {
    const page = await t.json(['audit', '--all'], ADMIN);
    const actions = (page.items as Json[]).map((record) => [record.action, record.outcome]);
    expect(actions).toEqual(
      expect.arrayContaining([
        ['createCluster', 'SUCCEEDED'],
        ['putTeam', 'SUCCEEDED'],
        ['shutdownFleet', 'REFUSED'],
        ['suspendCluster', 'SUCCEEDED'],
        ['resumeCluster', 'SUCCEEDED'],
        ['shutdownFleet', 'SUCCEEDED'],
        ['resumeFleet', 'SUCCEEDED'],
      ]),
    );
    const times = (page.items as Json[]).map((record) => record.time as string);
    expect([...times].sort().reverse()).toEqual(times);
    const shutdown = await t.sici(['audit', '--action', 'shutdownFleet'], ADMIN);
    const rows = shutdown.stdout.trimEnd().split('\n');
    expect(rows).toHaveLength(3);
    expect(rows[1]).toMatch(/shutdownFleet\s+SUCCEEDED\s+202\s.*arn:aws:iam::\d{12}:role\/sici-platform-admin$/);
    expect(rows[2]).toMatch(/shutdownFleet\s+REFUSED\s+403\s+team-a\s.*arn:aws:iam::000000000000:role\/sici-team-a$/);
  });

  it('prints the audit page and the chargeback as CSV', async () => {
    const audit = await t.sici(['audit', '--action', 'createCluster', '--csv'], ADMIN);
    expect(audit.code).toBe(0);
    const [header, ...rows] = audit.stdout.trimEnd().split(/\r?\n/);
    expect(header).toContain('action');
    expect(rows).toHaveLength(1);
    const chargeback = await t.sici(['chargeback', '--csv'], ADMIN);
    expect(chargeback.code).toBe(0);
    // RFC 4180: lines end in CRLF.
    expect(chargeback.stdout.split('\n')[0]).toBe('month,teamId,clusters,nodeHours,queries,dataScannedBytes,costUSD\r');
  });
});
