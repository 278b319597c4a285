import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { loadPlatformConfig } from '../../../lib/config/load-platform-config';
import { PROJECT_ROOT, startTestPlane, type Json, type TestPlane } from './cli-harness';

/**
 * A fleet upgrade and a drift check through `sici` as the platform admin runs them after a deploy
 * that moved the engine pins: two dev clusters created on the old pins are behind; an upgrade to
 * the current pins runs their UPDATE jobs in waves (the upgrade state machine as synthesized, with
 * the local runner's short waits) to SUCCEEDED; a drift check finds them in sync; a team may do
 * none of it; and the audit trail records it all.
 */

let t: TestPlane;
const ADMIN = { AWS_PROFILE: 'sici-admin' };
const TEAM_A = { AWS_PROFILE: 'sici-team-a' };
const TEAM_B = { AWS_PROFILE: 'sici-team-b' };
/** What config/platform.json pins now, the plane's configuration after the restart. */
const CONFIG_FILE = join(PROJECT_ROOT, 'config', 'platform.json');
const current = loadPlatformConfig(CONFIG_FILE).engine;
const OLD_DIGEST = `sha256:${'0'.repeat(64)}`;
let clusters: string[];
let upgradeId: string;

beforeAll(async () => {
  t = await startTestPlane({
    config: (config) => {
      config.engine.chart.version = '475.2.0';
      config.engine.image.tag = '475-e.2';
      config.engine.image.digest = OLD_DIGEST;
    },
  });
  const created = await Promise.all([TEAM_A, TEAM_B].map((team) => t.json(['clusters', 'create', '--environment', 'dev', '--tier', 'S', '--wait'], team)));
  clusters = created.map((cluster) => cluster.clusterId as string).sort();
  // The deploy of the new pins: config/platform.json as it is.
  await t.restart();
});
afterAll(async () => {
  await t?.stop();
});

/** Polls `fleet upgrade get` (as an admin would) until the run is no longer RUNNING; the run then. */
async function finishedRun(id: string): Promise<Json> {
  for (;;) {
    const run = await t.json(['fleet', 'upgrade', 'get', id], ADMIN);
    if (run.status !== 'RUNNING' && run.status !== 'CANCELLING') return run;
    await sleep(250);
  }
}

describe('before the upgrade', () => {
  it('shows both clusters behind the new engine pins, never checked for drift', async () => {
    const fleet = await t.json(['fleet', 'clusters', '--behind', 'true'], ADMIN);
    expect(fleet.items.map((c: Json) => [c.clusterId, c.engine.chartVersion, c.skew.engine.current.chartVersion]).sort()).toEqual(clusters.map((id) => [id, '475.2.0', current.chart.version]));
    const drift = await t.sici(['fleet', 'drift'], ADMIN);
    expect(drift.code).toBe(0);
    expect(drift.stdout.split('\n').slice(0, 4)).toEqual(['in sync 0, drifted 0, unknown 0, never checked 2, behind 2', 'last check: none', '', 'drifted, unknown or behind:']);
    for (const clusterId of clusters) expect(drift.stdout).toMatch(new RegExp(`^${clusterId}\\s+team-[ab]\\s+dev\\s+S\\s+ACTIVE\\s+\\d+ \\(475\\.2\\.0\\)\\s+engine -\\d+\\s+-\\s`, 'm'));
  });
});

describe('fleet upgrade start', () => {
  it('refuses a target that is not current: exit 1, the error, and the field at fault on one line each', async () => {
    const run = await t.sici(['fleet', 'upgrade', 'start', '--environment', 'dev', '--engine-chart', current.chart.version, '--engine-digest', OLD_DIGEST], ADMIN);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.split('\n')).toEqual([
      "error: 422 Target is not current: An upgrade brings clusters to the platform's current configuration only; see errors.",
      `  body.target.engine.imageDigest: not the platform's current image digest (${current.image.digest}); change the configuration first`,
      '',
    ]);
    expect((await t.json(['fleet', 'upgrade', 'list'], ADMIN)).items).toEqual([]);
  });

  it('refuses the pins of a configuration that is not the deployed one (--engine-from): a line for each field', async () => {
    const run = await t.sici(['fleet', 'upgrade', 'start', '--environment', 'dev', '--engine-from', 'platform.json'], ADMIN);
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n').slice(1)).toEqual([
      `  body.target.engine.chartVersion: not the platform's current chart version (${current.chart.version}); change the configuration first`,
      `  body.target.engine.imageDigest: not the platform's current image digest (${current.image.digest}); change the configuration first`,
      '',
    ]);
  });

  it('refuses --engine-from with the restated pins, and a file that is no platform configuration (exit 2, nothing sent)', async () => {
    const both = await t.sici(['fleet', 'upgrade', 'start', '--environment', 'dev', '--engine-from', CONFIG_FILE, '--engine-chart', current.chart.version], ADMIN);
    expect(both.code).toBe(2);
    expect(both.stderr).toBe('error: give the target: --engine-chart with --engine-digest, --engine-from <config file>, or --source-version (one of them)\n');
    const missing = await t.sici(['fleet', 'upgrade', 'start', '--environment', 'dev', '--engine-from', 'no-such.json'], ADMIN);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`error: --engine-from: ${join(t.scratch, 'no-such.json')} is not a valid SICI platform configuration\n  cannot be read (ENOENT)\n`);
  });

  it("is not a team's to start, list or check drift with (403, exit 1)", async () => {
    for (const args of [
      ['fleet', 'upgrade', 'start', '--team', 'team-a', '--engine-chart', current.chart.version, '--engine-digest', current.image.digest],
      ['fleet', 'upgrade', 'list'],
      ['fleet', 'drift', '--check', '--environment', 'dev'],
      ['fleet', 'drift'],
    ]) {
      const run = await t.sici(args, TEAM_A);
      expect({ args, code: run.code, stderr: run.stderr }).toEqual({ args, code: 1, stderr: 'error: 403 Forbidden: This route is for platform admins.\n' });
    }
  });

  it("upgrades the dev clusters to the configuration's pins (--engine-from), canary first, to SUCCEEDED", async () => {
    const start = await t.sici(['fleet', 'upgrade', 'start', '--environment', 'dev', '--engine-from', CONFIG_FILE], ADMIN);
    expect(start.stderr).toBe('');
    expect(start.code).toBe(0);
    upgradeId = /^upgrade\s+(up-[0-9a-z]{16})$/m.exec(start.stdout)![1];
    expect(start.stdout).toMatch(new RegExp(`^target\\s+engine chart ${current.chart.version}, image ${current.image.digest}$`, 'm'));
    expect(start.stdout).toContain(`Follow it with: sici fleet upgrade get ${upgradeId} --wait\n`);

    const run = await finishedRun(upgradeId);
    expect(run).toMatchObject({ upgradeId, status: 'SUCCEEDED', counts: { total: 2, succeeded: 2, failed: 0, skipped: 0 }, failures: [] });
    const byCluster = [...run.clusters].sort((a: Json, b: Json) => a.clusterId.localeCompare(b.clusterId));
    expect(byCluster.map((c: Json) => [c.clusterId, c.status])).toEqual(clusters.map((id) => [id, 'SUCCEEDED']));
    expect(run.clusters.map((c: Json) => c.wave).sort()).toEqual(['batch-1', 'canary']);

    // Each cluster's UPDATE job, as its team sees it; the cluster is back ACTIVE on the new pins.
    for (const [clusterId, team] of [
      [run.clusters.find((c: Json) => c.teamId === 'team-a').clusterId, TEAM_A],
      [run.clusters.find((c: Json) => c.teamId === 'team-b').clusterId, TEAM_B],
    ] as const) {
      const jobId = run.clusters.find((c: Json) => c.clusterId === clusterId).jobId;
      expect(await t.json(['jobs', 'get', jobId], team)).toMatchObject({ jobId, clusterId, operationType: 'UPDATE', status: 'SUCCEEDED' });
      expect((await t.json(['clusters', 'get', clusterId], team)).status).toBe('ACTIVE');
    }
    const fleet = await t.json(['fleet', 'clusters', '--behind', 'false'], ADMIN);
    expect(fleet.items.map((c: Json) => [c.clusterId, c.engine.chartVersion, c.skew.behind]).sort()).toEqual(clusters.map((id) => [id, current.chart.version, false]));
  });

  it('lists the run, and shows it with its clusters in a table', async () => {
    const list = await t.sici(['fleet', 'upgrade', 'list'], ADMIN);
    expect(list.code).toBe(0);
    const [header, ...rows] = list.stdout.trimEnd().split('\n');
    expect(header.split(/\s{2,}/)).toEqual(['UPGRADE', 'STATUS', 'TARGET', 'CLUSTERS', 'FAILED', 'CREATED']);
    expect(rows).toHaveLength(1);
    expect(rows[0].split(/\s{2,}/).slice(0, 5)).toEqual([upgradeId, 'SUCCEEDED', `chart ${current.chart.version}`, '2/2', '0']);

    const get = await t.sici(['fleet', 'upgrade', 'get', upgradeId], ADMIN);
    expect(get.code).toBe(0);
    expect(get.stdout).toMatch(/^status\s+SUCCEEDED$/m);
    expect(get.stdout).toMatch(/^clusters\s+2: 2 succeeded, 0 running, 0 pending, 0 failed, 0 skipped$/m);
    for (const clusterId of clusters) expect(get.stdout).toMatch(new RegExp(`^${clusterId}\\s+team-[ab]\\s+(canary|batch-1)\\s+SUCCEEDED\\s+j-[0-9a-z]{16}\\s+-\\s+-$`, 'm'));
  });

  it('skips the cluster in a second run, with the pins restated and followed with --wait: it is at the target already', async () => {
    const followed = await t.sici(['fleet', 'upgrade', 'start', '--cluster', clusters[0], '--engine-chart', current.chart.version, '--engine-digest', current.image.digest, '--wait', '--output', 'json'], ADMIN);
    expect(followed.code).toBe(0);
    expect(followed.stderr).toMatch(new RegExp(`${clusters[0]}\\s+canary\\s+SKIPPED`));
    expect(followed.stderr).toMatch(/✓ upgrade up-[0-9a-z]{16} SUCCEEDED/);
    const run = JSON.parse(followed.stdout);
    expect(run).toMatchObject({ status: 'SUCCEEDED', counts: { total: 1, succeeded: 0, skipped: 1 } });
    expect(run.clusters.map((c: Json) => [c.clusterId, c.status, c.jobId])).toEqual([[clusters[0], 'SKIPPED', undefined]]);
  });
});

describe('fleet drift', () => {
  it('checks the dev clusters with --check --wait: each CHECKED', async () => {
    const run = await t.json(['fleet', 'drift', '--check', '--environment', 'dev', '--wait'], ADMIN);
    expect(run).toMatchObject({ kind: 'DRIFT_CHECK', status: 'SUCCEEDED', counts: { matched: 2, failed: 0 } });
    expect(run.outcomes.map((o: Json) => [o.clusterId, o.status]).sort()).toEqual(clusters.map((id) => [id, 'CHECKED']));
  });

  it('shows the counts and the last check, with no cluster needing attention; the fleet shows each IN_SYNC', async () => {
    const run = await t.sici(['fleet', 'drift'], ADMIN);
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('in sync 2, drifted 0, unknown 0, never checked 0, behind 0');
    expect(lines[1]).toMatch(/^last check: fo-[0-9a-z]{16} SUCCEEDED at /);
    expect(lines.slice(2)).toEqual(['', 'drifted, unknown or behind:', '(none)', '']);
    const fleet = await t.sici(['fleet', 'clusters', '--environment', 'dev'], ADMIN);
    for (const clusterId of clusters) expect(fleet.stdout).toMatch(new RegExp(`^${clusterId}\\s+team-[ab]\\s+dev\\s+S\\s+ACTIVE\\s+\\d+ \\(${current.chart.version}\\)\\s+current\\s+IN_SYNC\\s+-$`, 'm'));
  });
});

describe('the audit trail', () => {
  it('records the upgrades started and refused, and the drift check, with who asked', async () => {
    const page = await t.json(['audit', '--all'], ADMIN);
    const actions = (page.items as Json[]).map((record) => [record.action, record.outcome]);
    expect(actions).toEqual(expect.arrayContaining([['startUpgrade', 'SUCCEEDED'], ['startUpgrade', 'REFUSED'], ['startDriftCheck', 'SUCCEEDED'], ['startDriftCheck', 'REFUSED']]));
    const started = (page.items as Json[]).filter((record) => record.action === 'startUpgrade' && record.outcome === 'SUCCEEDED');
    expect(started.map((record) => record.entity)).toContain(`upgrade/${upgradeId}`);
    const table = await t.sici(['audit', '--action', 'startUpgrade'], ADMIN);
    expect(table.stdout).toMatch(/startUpgrade\s+REFUSED\s+403\s+team-a\s.*arn:aws:iam::000000000000:role\/sici-team-a$/m);
  });
});
