import { startTestPlane, type Json, type TestPlane } from './cli-harness';

/**
 * A team's cluster from birth to deletion through `sici`, as a person at a terminal (tables) and
 * as a script (`--output json`) use it: create --wait, list, get, resize --wait, events, jobs get,
 * delete --wait.
 */

let t: TestPlane;
const TEAM_A = { AWS_PROFILE: 'sici-team-a' };
let clusterId: string;
let createJobId: string;

beforeAll(async () => {
  t = await startTestPlane();
});
afterAll(async () => {
  await t?.stop();
});

describe('clusters create --wait', () => {
  let run: Awaited<ReturnType<TestPlane['sici']>>;

  beforeAll(async () => {
    run = await t.sici(['clusters', 'create', '--environment', 'dev', '--tier', 'S', '--name', 'lake', '--wait', '--profile', 'sici-team-a']);
  });

  it('exits 0 and prints the cluster as the job left it: ACTIVE, with its endpoint', () => {
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.code).toBe(0);
    clusterId = /^cluster\s+(c-[0-9a-z]{16})$/m.exec(run.stdout)![1];
    expect(run.stdout).toMatch(/^status\s+ACTIVE$/m);
    expect(run.stdout).toMatch(new RegExp(`^endpoint\\s+local://${clusterId}\\.dev\\.query\\.sici\\.example\\.com$`, 'm'));
    expect(run.stdout).toMatch(/^name\s+lake$/m);
  });

  it("shows the workflow's steps on stderr as plain lines (not a terminal), each with the time since the job started, then the outcome", () => {
    const lines = run.stderr.trimEnd().split('\n');
    createJobId = /^Following CREATE job (j-[0-9a-z]{16}) on cluster (c-[0-9a-z]{16})/.exec(lines[0])![1];
    const steps = lines.slice(1, -1).map((line) => /^ {2}\[ *([\d.]+(?:ms|s)|\d+m\d\ds)\] (.{26}) /.exec(line)?.[2].trim());
    expect(steps).not.toContain(undefined);
    // Each step once or more, in the workflow's order.
    expect([...new Set(steps)]).toEqual(['Accepted', 'Start job', 'Validate entitlement', 'Allocate cluster', 'Write TenantSpec', 'Deploy tenant stack', 'Register endpoint', 'Complete job']);
    expect(lines.at(-1)).toMatch(new RegExp(`^✓ CREATE job ${createJobId} SUCCEEDED in [\\d.]+s$`));
    // No redrawn status line off a terminal.
    expect(run.stderr).not.toContain('\r');
    expect(run.stderr).not.toContain('\x1b[');
  });
});

describe('reading the cluster', () => {
  it('lists it in a table and, with --output json, as the API page', async () => {
    const table = await t.sici(['clusters', 'list'], TEAM_A);
    expect(table.code).toBe(0);
    const [header, row] = table.stdout.trimEnd().split('\n');
    expect(header.split(/\s{2,}/)).toEqual(['CLUSTER', 'NAME', 'ENV', 'TIER', 'STATUS', 'JOB', 'CREATED', 'ENDPOINT']);
    expect(row.split(/\s{2,}/).slice(0, 6)).toEqual([clusterId, 'lake', 'dev', 'S', 'ACTIVE', '-']);

    const page = await t.json(['clusters', 'list', '--status', 'ACTIVE'], TEAM_A);
    expect(page.items.map((c: Json) => c.clusterId)).toEqual([clusterId]);
  });

  it("is not another team's to see (404)", async () => {
    const run = await t.sici(['clusters', 'get', clusterId], { AWS_PROFILE: 'sici-team-b' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: 404 Not found: /);
  });

  it('gets the job of its creation, finished', async () => {
    const job = await t.json(['jobs', 'get', createJobId], TEAM_A);
    expect(job).toMatchObject({ jobId: createJobId, clusterId, operationType: 'CREATE', status: 'SUCCEEDED' });
    const table = await t.sici(['jobs', 'get', createJobId], TEAM_A);
    expect(table.stdout).toMatch(/^status\s+SUCCEEDED$/m);
  });

  it("shows its events, and with --job one job's only", async () => {
    const all = await t.json(['events', clusterId, '--all'], TEAM_A);
    const types = all.items.map((e: Json) => e.type);
    expect(types[0]).toBe('JOB_ACCEPTED');
    expect(types).toContain('STACK_SYNTHESIZED');
    expect(types.at(-1)).toBe('JOB_SUCCEEDED');
    const table = await t.sici(['events', clusterId, '--job', createJobId], TEAM_A);
    expect(table.stdout.split('\n')[0].split(/\s{2,}/)).toEqual(['TIME', 'TYPE', 'JOB', 'STATUS', 'MESSAGE']);
    expect(table.stdout).toContain('JOB_SUCCEEDED');
  });
});

describe('clusters resize --wait and jobs get --wait', () => {
  it('follows the UPDATE job to the cluster ACTIVE at its new tier', async () => {
    const run = await t.sici(['clusters', 'resize', clusterId, '--tier', 'M', '--wait', '--output', 'json'], TEAM_A);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ clusterId, tier: 'M', status: 'ACTIVE' });
    expect(run.stderr).toMatch(/^Following UPDATE job j-[0-9a-z]{16}/);
    expect(run.stderr).toMatch(/✓ UPDATE job j-[0-9a-z]{16} SUCCEEDED/);
  });

  it('jobs get --wait on a finished job prints its steps and the job', async () => {
    const run = await t.sici(['jobs', 'get', createJobId, '--wait'], TEAM_A);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^operation\s+CREATE$/m);
    expect(run.stderr).toContain('Register endpoint');
    expect(run.stderr).toContain(`✓ CREATE job ${createJobId} SUCCEEDED`);
  });
});

describe('clusters delete --wait', () => {
  it('follows the DELETE job to DELETED; the list shows it DELETED, and no longer ACTIVE', async () => {
    const run = await t.sici(['clusters', 'delete', clusterId, '--wait'], TEAM_A);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^status\s+DELETED$/m);
    expect(run.stderr).toMatch(/Destroy tenant stack/);
    expect(run.stderr).toMatch(/✓ DELETE job j-[0-9a-z]{16} SUCCEEDED/);
    const deleted = await t.json(['clusters', 'list'], TEAM_A);
    expect(deleted.items.map((c: Json) => [c.clusterId, c.status])).toEqual([[clusterId, 'DELETED']]);
    const active = await t.sici(['clusters', 'list', '--status', 'ACTIVE'], TEAM_A);
    expect(active.stdout).toBe('(none)\n');
  });
});
