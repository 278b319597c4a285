import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { queryEvent } from '../../fixtures/query-events';
import { startTestPlane, type Json, type TestPlane } from './cli-harness';

/**
 * A team's datasource through `sici` (add --wait, list, get, setup --out, remove --wait), and what
 * its cluster ran (queries, usage) once its engine has reported queries on the ingest route.
 */

let t: TestPlane;
const TEAM_A = { AWS_PROFILE: 'sici-team-a' };
let clusterId: string;
let datasourceId: string;

beforeAll(async () => {
  t = await startTestPlane();
  clusterId = (await t.json(['clusters', 'create', '--environment', 'dev', '--tier', 'S', '--wait'], TEAM_A)).clusterId;
});
afterAll(async () => {
  await t?.stop();
});

describe('datasources add --wait', () => {
  it('follows the ADD_DATASOURCE job through access validation and prints the datasource ACTIVE', async () => {
    const run = await t.sici(
      ['datasources', 'add', clusterId, '--type', 's3-hive', '--account', '210987654321', '--bucket-arn', 'arn:aws:s3:::team-a-lake', '--prefix', 'sales/', '--prefix', 'returns/', '--bucket-region', 'eu-west-1', '--wait'],
      TEAM_A,
    );
    expect(run.stderr).not.toMatch(/^error/m);
    expect(run.code).toBe(0);
    datasourceId = /^datasource\s+(ds-[0-9a-z]{16})$/m.exec(run.stdout)![1];
    expect(run.stdout).toMatch(/^status\s+ACTIVE$/m);
    expect(run.stdout).toMatch(/^prefixes\s+sales\/, returns\/$/m);
    expect(run.stderr).toMatch(/^ {2}\[ *[\d.]+m?s\] Validate datasource access /m);
    expect(run.stderr).toMatch(/✓ ADD_DATASOURCE job j-[0-9a-z]{16} SUCCEEDED/);
  });

  it('lists and gets it', async () => {
    const list = await t.sici(['datasources', 'list', clusterId], TEAM_A);
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[1].split(/\s{2,}/).slice(0, 4)).toEqual([datasourceId, 's3-hive', 'ACTIVE', 'read-only']);
    const one = await t.json(['datasources', 'get', clusterId, datasourceId], TEAM_A);
    expect(one).toMatchObject({ datasourceId, clusterId, status: 'ACTIVE', externalAccountId: '210987654321' });
  });
});

describe('datasources setup --out', () => {
  let setup: Json;
  let dir: string;
  let files: string[];

  beforeAll(async () => {
    setup = await t.json(['datasources', 'setup', clusterId, datasourceId], TEAM_A);
    dir = join(t.scratch, 'for-the-owner');
    const run = await t.sici(['datasources', 'setup', clusterId, datasourceId, '--out', 'for-the-owner'], TEAM_A);
    expect(run.code).toBe(0);
    files = readdirSync(dir).sort();
    // stdout: the paths written, one a line.
    expect(run.stdout.trimEnd().split('\n').sort()).toEqual(files.map((name) => join(dir, name)));
  });

  it('writes the policies exactly as the API generated them', () => {
    const read = (kind: string) => JSON.parse(readFileSync(join(dir, `sici-${datasourceId}-${kind}.json`), 'utf8')) as unknown;
    expect(read('trust')).toEqual(setup.trustPolicy);
    expect(read('permissions')).toEqual(setup.permissionsPolicy);
    expect(read('bucket-policy')).toEqual(setup.bucketPolicy);
    expect(read('catalog-and-keys')).toEqual(setup.catalogAndKeyPolicy);
    expect(files).toEqual(expect.arrayContaining(['README.txt', 'setup-role-policy.sh', 'setup-bucket-policy.sh']));
  });

  it('writes executable bash scripts that parse, and that write the same documents as the files beside them', () => {
    for (const script of files.filter((name) => name.endsWith('.sh'))) {
      const path = join(dir, script);
      expect(statSync(path).mode & 0o777).toBe(0o755);
      const text = readFileSync(path, 'utf8');
      expect(text.startsWith('#!/usr/bin/env bash\n')).toBe(true);
      execFileSync('bash', ['-n', path]);
      const heredocs = [...text.matchAll(/^cat > '([^']+)' <<'SICI_JSON'\n([\s\S]*?)\nSICI_JSON$/gm)];
      expect(heredocs.length).toBeGreaterThan(0);
      for (const [, name, content] of heredocs) expect(JSON.parse(content)).toEqual(JSON.parse(readFileSync(join(dir, name), 'utf8')));
    }
  });

  it("writes a README naming the role, the trusted role, the ExternalId and the scripts", () => {
    const readme = readFileSync(join(dir, 'README.txt'), 'utf8');
    expect(readme).toContain(setup.roleArn);
    expect(readme).toContain(setup.starburstRoleArn);
    expect(readme).toContain(setup.externalId);
    expect(readme).toContain('bash setup-role-policy.sh');
    expect(readme).toContain('s3://team-a-lake/sales/');
  });
});

describe('queries and usage', () => {
  const now = Date.now();
  const events = [
    queryEvent('finished', { n: 1, endTime: now - 120_000, cpuMs: 4000, scannedBytes: 2 * 2 ** 30, user: 'alice' }),
    queryEvent('finished', { n: 2, endTime: now - 90_000, cpuMs: 1000, scannedBytes: 2 ** 20, user: 'bob' }),
    queryEvent('failed', { n: 3, endTime: now - 60_000, user: 'alice' }),
  ];

  beforeAll(async () => {
    const token = t.ingestToken(clusterId);
    for (const event of events) {
      const response = await fetch(`${t.url}/clusters/${clusterId}/queries`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(event),
      });
      expect(response.status).toBe(202);
    }
  });

  it('lists the queries newest first, filters them by state, and shows one in full', async () => {
    const ids = events.map((event) => event.metadata.queryId as string);
    const page = await t.json(['queries', clusterId], TEAM_A);
    expect(page.items.map((q: Json) => q.queryId)).toEqual([...ids].reverse());

    const failed = await t.sici(['queries', clusterId, '--state', 'FAILED'], TEAM_A);
    expect(failed.code).toBe(0);
    const rows = failed.stdout.trimEnd().split('\n');
    expect(rows[0].split(/\s{2,}/).slice(0, 3)).toEqual(['QUERY', 'USER', 'STATE']);
    expect(rows.slice(1).map((row) => row.split(/\s{2,}/)[0])).toEqual([ids[2]]);

    const one = await t.sici(['queries', clusterId, ids[0]], TEAM_A);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(new RegExp(`^query\\s+${ids[0]}$`, 'm'));
    expect(one.stdout).toMatch(/^state\s+FINISHED$/m);
    expect(one.stdout).toMatch(/^cpu time\s+4\.0s$/m);
  });

  it("totals the cluster's usage: queries, failures, data scanned, and an estimated cost", async () => {
    const sum = (field: string) => events.reduce((total, event) => total + (event.statistics[field] as number), 0);
    const report = await t.json(['usage', clusterId, '--granularity', 'day'], TEAM_A);
    expect(report.totals).toMatchObject({ queryCount: 3, failedQueryCount: 1, dataScanned: { bytes: sum('physicalInputBytes') } });
    expect(report.totals.cpuUsage.queryCpuSeconds).toBeCloseTo(sum('cpuTime'), 6);
    const table = await t.sici(['usage', clusterId], TEAM_A);
    expect(table.code).toBe(0);
    const [header] = table.stdout.split('\n').filter((line) => line.startsWith('WINDOW'));
    const total = table.stdout.split('\n').find((line) => line.startsWith('TOTAL'))!;
    const cells = (line: string) => line.trim().split(/\s{2,}/);
    const column = (name: string) => cells(total)[cells(header).indexOf(name)];
    expect([column('QUERIES'), column('FAILED')]).toEqual(['3', '1']);
    expect(table.stdout).toMatch(/^estimated cost: \d+\.\d+ USD$/m);
  });
});

describe('datasources remove --wait', () => {
  it('follows the REMOVE_DATASOURCE job and prints the datasource DELETED', async () => {
    const run = await t.sici(['datasources', 'remove', clusterId, datasourceId, '--wait'], TEAM_A);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^status\s+DELETED$/m);
    expect(run.stderr).toMatch(/✓ REMOVE_DATASOURCE job j-[0-9a-z]{16} SUCCEEDED/);
  });
});
