import { join } from 'node:path';
import { runSici, startTestPlane, type TestPlane } from './cli-harness';

/**
 * What `sici` says and how it exits when something is wrong: each exit code of `sici --help`, the
 * problem+json of the API as one line plus its field errors, never a stack trace. The plane's
 * tenant CIDR pool holds one VPC, so that a second cluster's job fails at "Allocate cluster".
 */

let t: TestPlane;
const TEAM_A = { AWS_PROFILE: 'sici-team-a' };
let clusterId: string;

beforeAll(async () => {
  t = await startTestPlane({ config: (config) => (config.network.tenantCidrPool = '10.64.0.0/20') });
  clusterId = (await t.json(['clusters', 'create', '--environment', 'dev', '--tier', 'S', '--wait'], TEAM_A)).clusterId;
});
afterAll(async () => {
  await t?.stop();
});

const noStackTrace = (stderr: string) => expect(stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);

describe('exit 0: help', () => {
  it('lists the exit codes, and every command has --help with an example', async () => {
    const help = await t.sici(['--help']);
    expect(help.code).toBe(0);
    for (const code of ['0  success', '1  the API refused', '2  usage error', '3  the job (or fleet operation) followed with --wait failed', '4  the API could not be reached']) {
      expect(help.stdout).toContain(code);
    }
    for (const command of [
      ['clusters', 'create'], ['clusters', 'list'], ['clusters', 'get'], ['clusters', 'resize'], ['clusters', 'suspend'], ['clusters', 'resume'], ['clusters', 'delete'],
      ['jobs', 'get'], ['events'], ['datasources', 'add'], ['datasources', 'list'], ['datasources', 'get'], ['datasources', 'setup'], ['datasources', 'remove'],
      ['usage'], ['queries'], ['teams', 'list'], ['teams', 'get'], ['teams', 'put'], ['fleet', 'clusters'], ['fleet', 'shutdown'], ['fleet', 'resume'],
      ['fleet', 'drift'], ['fleet', 'operation'], ['fleet', 'upgrade', 'start'], ['fleet', 'upgrade', 'get'], ['audit'], ['chargeback'],
    ]) {
      const run = await t.sici([...command, '--help']);
      expect([command, run.code]).toEqual([command, 0]);
      expect(run.stdout).toMatch(new RegExp(`\\nExamples:\\n {2}\\$ sici ${command.join(' ')}`));
    }
  });
});

describe('exit 1: the API refused', () => {
  it('shows a 400 as one line with its field errors', async () => {
    const run = await t.sici(['clusters', 'create', '--environment', 'dev', '--tier', 'XL'], TEAM_A);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('error: 400 Invalid request: The body does not match the schema: 1 problem(s), see errors.\n  body.tier: one of "S", "M" or "L"\n');
  });

  it("prints the problem document itself on stdout with --output json", async () => {
    const run = await t.sici(['clusters', 'get', 'c-0123456789abcdef', '--output', 'json'], TEAM_A);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 404, title: 'Not found' });
    expect(run.stderr).toMatch(/^error: 404 Not found: /);
  });

  it('shows a 409 for a datasource on a cluster that is not ACTIVE', async () => {
    const failed = await t.json(['clusters', 'create', '--environment', 'dev', '--tier', 'S'], TEAM_A);
    await t.sici(['jobs', 'get', failed.jobId, '--wait'], TEAM_A);
    const run = await t.sici(
      ['datasources', 'add', failed.cluster.clusterId, '--type', 's3-hive', '--account', '210987654321', '--bucket-arn', 'arn:aws:s3:::lake', '--prefix', 'a/', '--bucket-region', 'eu-west-1'],
      TEAM_A,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: 409 [^\n]+FAILED[^\n]*\n$/);
  });
});

describe('exit 2: usage errors, before anything is sent', () => {
  it.each([
    [['clusterz'], "error: unknown command 'clusterz'"],
    [['clusters', 'create', '--tier', 'S'], "error: required option '--environment <name>' not specified"],
    [['clusters', 'list', '--limit', '0'], "error: option '--limit <n>' argument '0' is invalid. a whole number from 1 to 100"],
    [['usage', '<cluster>', '--from', 'yesterday'], "error: option '--from <time>' argument 'yesterday' is invalid."],
    [['clusters', 'list', '--output', 'yaml'], "error: option '-o, --output <format>' argument 'yaml' is invalid."],
  ])('sici %j', async (args, message) => {
    const run = await t.sici(args.map((arg) => (arg === '<cluster>' ? clusterId : arg)), TEAM_A);
    expect(run.code).toBe(2);
    expect(run.stderr.startsWith(message)).toBe(true);
    expect(run.stderr).toContain('(add --help for usage and examples)');
  });
});

describe('exit 3: the job followed failed', () => {
  it('prints the failed step and its cause', async () => {
    const run = await t.sici(['clusters', 'create', '--environment', 'dev', '--tier', 'S', '--wait'], TEAM_A);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/✗ CREATE job j-[0-9a-z]{16} FAILED at "Allocate cluster"/);
    expect(run.stderr).toMatch(/\nerror: CREATE job j-[0-9a-z]{16} failed at "Allocate cluster"\n {2}step: Allocate cluster\n {2}cause: [^\n]*10\.64\.0\.0\/20[^\n]*\n$/);
    noStackTrace(run.stderr);
  });
});

describe('exit 4: cannot reach or sign', () => {
  it('names an endpoint where nothing listens, and how to start the local control plane', async () => {
    const run = await t.sici(['clusters', 'list', '--endpoint', 'http://127.0.0.1:9'], TEAM_A);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/^error: cannot reach http:\/\/127\.0\.0\.1:9\/: [^\n]+\n {2}is the local control plane running\? Start it with `npm start`/);
  });

  it('names an unknown profile and the profiles there are', async () => {
    const run = await t.sici(['clusters', 'list', '--profile', 'sici-team-z']);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain(`there is no profile "sici-team-z" in ${join(t.dataDir, 'credentials')}`);
    expect(run.stderr).toContain('profiles there: sici-admin, sici-team-a, sici-team-b');
  });

  it('asks for a profile of the local control plane when none is given', async () => {
    const run = await t.sici(['clusters', 'list']);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('choose a profile of the local control plane, e.g. --profile sici-team-a');
  });

  it('says where the local credentials should be when the local control plane never ran', async () => {
    const run = await runSici(['clusters', 'list', '--profile', 'sici-team-a'], { HOME: t.scratch, SICI_ENDPOINT: t.url, SICI_DATA_DIR: join(t.scratch, 'never-started') }, t.scratch);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain(`no local credentials at ${join(t.scratch, 'never-started', 'credentials')}: start the local control plane first (npm start)`);
    noStackTrace(run.stderr);
  });

  it('refuses a signature the API does not know (403 from the API: exit 1)', async () => {
    const run = await runSici(['clusters', 'list'], { HOME: t.scratch, SICI_ENDPOINT: t.url, AWS_ACCESS_KEY_ID: 'AKIAUNKNOWNKEY000000', AWS_SECRET_ACCESS_KEY: 'x'.repeat(40) }, t.scratch);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: 403 /);
  });
});
