import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterEvent } from '../../lib/contract/api';
import { processesNaming, startLocalProcess, type LocalProcess, type LocalProcessOptions } from '../../lambda/local/local-process';
import { teamPrincipal } from '../../lambda/local/local-identities';
import type { SynthSummary } from '../../lambda/local/local-deployer';
import { SigV4Client } from '../../lambda/local/sigv4-client';
import type { LocalIdentity } from '../../lambda/local/sigv4-verifier';

/**
 * The local control plane's lifecycle as users and supervisors drive it: `npm start`, stopped by
 * a signal to npm's process or by Ctrl-C while a job's synth runs, then started again on the same
 * data folder. Every stop leaves no process behind; every job that was running resumes and
 * finishes; the data folder keeps each job's template and synth summary, not its cdk.out.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- API answers, read field by field

let dataDir: string;
let plane: LocalProcess;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'sici-e2e-lifecycle-'));
});
afterEach(async () => {
  // A test that failed may have left processes: they go, so that the next test starts clean.
  for (const { pid } of processesNaming(dataDir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await plane?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const start = async (options: LocalProcessOptions = {}) => {
  plane = await startLocalProcess(dataDir, { npm: true, ...options });
  const profiles = JSON.parse(readFileSync(join(dataDir, 'identities.json'), 'utf8')) as Record<string, LocalIdentity>;
  const client = new SigV4Client(plane.url, profiles['sici-team-a']);
  return async (method: string, path: string, body?: object): Promise<Json> => {
    const response = await client.fetch(method, path, body && JSON.stringify(body));
    return { ...((await response.json()) as Json), httpStatus: response.status };
  };
};
type Call = Awaited<ReturnType<typeof start>>;

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, deadlineMs = 120_000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const eventsOf = async (call: Call, clusterId: string, jobId?: string): Promise<ClusterEvent[]> =>
  ((await call('GET', `/clusters/${clusterId}/events?limit=100`)).items as ClusterEvent[]).filter((e) => !jobId || e.jobId === jobId);

/** Waits until the job's synth runs (a process of this data folder running the CDK app). */
async function synthRunning(call: Call, clusterId: string, jobId: string) {
  await until('DEPLOY_STARTED', async () => ((await eventsOf(call, clusterId, jobId)).some((e) => e.type === 'DEPLOY_STARTED') ? true : undefined));
  await until('a synth process', () => (processesNaming(dataDir).some((p) => p.command.endsWith('bin/app.js')) ? true : undefined));
}

/** Stops the control plane as `how` says and checks that nothing of it is left, the server included. */
async function stopAndCheck(how: 'SIGTERM' | 'SIGINT', url: string) {
  expect(await plane.stop(how)).toBe(0);
  expect(processesNaming(dataDir)).toEqual([]);
  await expect(fetch(url)).rejects.toThrow();
}

const jobDone = (call: Call, jobId: string) =>
  until(`job ${jobId} to end`, async () => {
    const job = await call('GET', `/jobs/${jobId}`);
    return job.status === 'SUCCEEDED' || job.status === 'FAILED' ? job : undefined;
  });

const RESUMED_DEPLOY = ['DEPLOY_STARTED', 'JOB_RESUMED', 'ENTITLEMENT_VALIDATED', 'TENANT_SPEC_WRITTEN', 'DEPLOY_STARTED', 'STACK_SYNTHESIZED', 'ENDPOINT_REGISTERED', 'JOB_SUCCEEDED'];

it('kill -TERM on npm start stops npm, the server and a running synth; a create and then a PATCH stopped that way resume at the next start and finish, the cluster ACTIVE at the new tier', async () => {
  let call = await start();
  const created = await call('POST', '/clusters', { environment: 'dev', tier: 'S' });
  expect(created.httpStatus).toBe(202);
  const { clusterId } = created.cluster;
  await synthRunning(call, clusterId, created.jobId);
  await stopAndCheck('SIGTERM', plane.url);

  call = await start();
  expect(plane.output()).toMatch(/resumed 1 running job/);
  expect(await jobDone(call, created.jobId)).toMatchObject({ operationType: 'CREATE', status: 'SUCCEEDED' });
  expect(await call('GET', `/clusters/${clusterId}`)).toMatchObject({ status: 'ACTIVE', tier: 'S' });

  const patched = await call('PATCH', `/clusters/${clusterId}`, { tier: 'M' });
  expect(patched.httpStatus).toBe(202);
  await synthRunning(call, clusterId, patched.jobId);
  await stopAndCheck('SIGTERM', plane.url);

  call = await start();
  expect(await jobDone(call, patched.jobId)).toMatchObject({ operationType: 'UPDATE', status: 'SUCCEEDED' });
  expect(await call('GET', `/clusters/${clusterId}`)).toMatchObject({ status: 'ACTIVE', tier: 'M', endpoint: `local://${clusterId}.dev.query.sici.example.com` });

  // The events tell the story: each job stopped while it deployed, was resumed, and finished.
  const types = async (jobId: string) => (await eventsOf(call, clusterId, jobId)).map((e) => e.type);
  expect(await types(created.jobId)).toEqual(['JOB_ACCEPTED', 'JOB_RUNNING', 'ENTITLEMENT_VALIDATED', 'CLUSTER_ALLOCATED', 'TENANT_SPEC_WRITTEN', ...RESUMED_DEPLOY]);
  expect(await types(patched.jobId)).toEqual(['JOB_ACCEPTED', 'JOB_RUNNING', 'ENTITLEMENT_VALIDATED', 'TENANT_SPEC_WRITTEN', ...RESUMED_DEPLOY]);
  const events = await eventsOf(call, clusterId);
  expect(events.find((e) => e.type === 'JOB_RESUMED')!.message).toMatch(/the local control plane stopped while it ran/);
  expect(events.filter((e) => e.status === 'FAILED' || /FAILED/.test(e.type))).toEqual([]);

  // What each job keeps: its template (where its event says) and a summary of the synth; no cdk.out.
  for (const jobId of [created.jobId, patched.jobId]) {
    const synthesized = (await eventsOf(call, clusterId, jobId)).find((e) => e.type === 'STACK_SYNTHESIZED')!.message;
    const templateFile = /template kept at (\S+\.template\.json)/.exec(synthesized)![1];
    const jobFolder = join(dataDir, 'deployments', clusterId, jobId);
    expect(templateFile).toBe(join(jobFolder, `TenantStack-${clusterId}.template.json`));
    expect(readdirSync(jobFolder).sort()).toEqual([`TenantStack-${clusterId}.template.json`, 'synth.json']);
    const summary = JSON.parse(readFileSync(join(jobFolder, 'synth.json'), 'utf8')) as SynthSummary;
    expect(summary).toMatchObject({ stack: `TenantStack-${clusterId}`, resources: Object.keys(JSON.parse(readFileSync(templateFile, 'utf8')).Resources).length });
    expect(Object.keys(summary.checks)).toEqual(expect.arrayContaining(['AwsSolutions', 'NIST.800.53.R5', 'HIPAA.Security', 'cdk-validator-cfnguard']));
    expect(Object.values(summary.checks).every((check) => check.violations === 0)).toBe(true);
  }
  const cdkOuts = (folder: string): string[] =>
    readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
      !entry.isDirectory() ? [] : entry.name === 'cdk.out' ? [join(folder, entry.name)] : cdkOuts(join(folder, entry.name)),
    );
  expect(cdkOuts(dataDir)).toEqual([]);
});

it('Ctrl-C (SIGINT to the process group, as a terminal sends it, which npm forwards again) stops everything at the first press, and the job resumes', async () => {
  let call = await start();
  const created = await call('POST', '/clusters', { environment: 'dev', tier: 'S' });
  await synthRunning(call, created.cluster.clusterId, created.jobId);
  await stopAndCheck('SIGINT', plane.url);
  expect(plane.output()).not.toMatch(/exiting at once/);
  expect(existsSync(join(dataDir, 'deployments', created.cluster.clusterId, created.jobId, 'cdk.out'))).toBe(false);

  call = await start();
  expect(await jobDone(call, created.jobId)).toMatchObject({ status: 'SUCCEEDED' });
});

it('when npm is killed outright (SIGKILL, so nothing is forwarded), the orphaned server notices, stops with its synth, and the job resumes at the next start', async () => {
  let call = await start();
  const created = await call('POST', '/clusters', { environment: 'dev', tier: 'S' });
  await synthRunning(call, created.cluster.clusterId, created.jobId);
  const { url } = plane;
  plane.process.kill('SIGKILL');
  await until('every process of the data folder to end', () => (processesNaming(dataDir).length === 0 ? true : undefined), 30_000);
  await expect(fetch(url)).rejects.toThrow();

  call = await start();
  expect(await jobDone(call, created.jobId)).toMatchObject({ status: 'SUCCEEDED' });
});

it('prints one access log line per request on stdout, in the format of API Gateway\'s access log; --quiet or SICI_QUIET=1 turns it off', async () => {
  const accessLog = () => plane.output().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Json);
  const call = await start();
  await call('GET', '/clusters?limit=5');
  await fetch(`${plane.url}/clusters`);
  expect(await plane.stop()).toBe(0);
  expect(accessLog()).toEqual([
    expect.objectContaining({ httpMethod: 'GET', path: '/clusters', resourcePath: '/clusters', status: '200', userArn: teamPrincipal('team-a') }),
    expect.objectContaining({ httpMethod: 'GET', path: '/clusters', status: '403', userArn: '-' }),
  ]);
  for (const quiet of [{ args: ['--quiet'] }, { env: { SICI_QUIET: '1' } }]) {
    await (await start(quiet))('GET', '/clusters');
    expect(await plane.stop()).toBe(0);
    expect([quiet, accessLog()]).toEqual([quiet, []]);
  }
});
