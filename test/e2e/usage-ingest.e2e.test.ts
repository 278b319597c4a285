import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { loadPlatformConfig } from '../../lib/config/load-platform-config';
import { clusterKey } from '../../lambda/core/cluster-store';
import { recordIngestToken } from '../../lambda/core/ingest-tokens';
import { startLocalControlPlane, type LocalControlPlane } from '../../lambda/local/local-control-plane';
import { SigV4Client } from '../../lambda/local/sigv4-client';
import { queryEvent, type QueryEventFixture } from '../fixtures/query-events';

/**
 * 10,000 QueryCompletedEvents through the local control plane's HTTP ingest route, at once from 32
 * connections: three clusters of two teams, a fifth of the events sent twice, all in random order,
 * ending on both sides of 09:00. Every total is the exact sum over the unique events, each hourly
 * window holds exactly the queries that ended in it, the chargeback is the sum of its clusters,
 * and the query records are the unique events. Forged and other clusters' tokens store nothing.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- API answers, read field by field

const config = loadPlatformConfig('config/platform.json');
const EVENTS = 10_000;
const DUPLICATE_SHARE = 0.2;
const CONCURRENCY = 32;
const NINE = Date.parse('2026-11-20T09:00:00.000Z');
const MINUTE = 60_000;

/** A seeded generator (mulberry32): the same events on every run. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Sent {
  readonly clusterId: string;
  readonly queryId: string;
  readonly hour: string;
  readonly failed: boolean;
  readonly cpuMs: number;
  readonly scannedBytes: number;
  readonly body: string;
}

let dataDir: string;
let plane: LocalControlPlane;
let admin: SigV4Client;
const clients = new Map<string, SigV4Client>();
const tokens = new Map<string, string>();
const clusters: { clusterId: string; team: string }[] = [];
const unique: Sent[] = [];

const getJson = async (client: SigV4Client, path: string): Promise<Json> => {
  const response = await client.fetch('GET', path);
  return { ...((await response.json()) as Json), httpStatus: response.status };
};

const post = (clusterId: string, body: string, token: string) =>
  fetch(`${plane.url}/clusters/${clusterId}/queries`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sici-e2e-usage-'));
  plane = await startLocalControlPlane({ config, configFile: 'config/platform.json', dataDir, port: 0, holdJobs: true });
  const { profiles } = plane.profiles;
  admin = new SigV4Client(plane.url, profiles['sici-admin']);
  for (const team of ['team-a', 'team-b']) clients.set(team, new SigV4Client(plane.url, profiles[`sici-${team}`]));
  for (const team of ['team-a', 'team-a', 'team-b']) {
    const response = await clients.get(team)!.fetch('POST', '/clusters', JSON.stringify({ environment: 'dev', tier: 'S' }));
    const { clusterId } = ((await response.json()) as Json).cluster;
    // What the workflow leaves once the cluster is deployed: ACTIVE, its token's digest recorded.
    await plane.tables.doc.send(
      new UpdateCommand({ TableName: plane.tables.stateTable, Key: clusterKey(clusterId), UpdateExpression: 'SET #status = :active REMOVE activeJobId', ExpressionAttributeNames: { '#status': 'status' }, ExpressionAttributeValues: { ':active': 'ACTIVE' } }),
    );
    const token = randomBytes(48).toString('base64url');
    await recordIngestToken(plane.tables, clusterId, token);
    tokens.set(clusterId, token);
    clusters.push({ clusterId, team });
  }

  const next = random(13);
  const fixtures: QueryEventFixture[] = ['finished', 'finished', 'failed', 'insert'];
  const uniqueCount = Math.round(EVENTS / (1 + DUPLICATE_SHARE));
  for (let n = 0; n < uniqueCount; n++) {
    const { clusterId } = clusters[n % clusters.length];
    const fixture = fixtures[Math.floor(next() * fixtures.length)];
    // 08:30 to 09:30; every 500th query on a boundary of the hour: the last millisecond of 08:59, or 09:00 itself.
    const endTime = n % 500 === 0 ? NINE - 1 : n % 500 === 1 ? NINE : NINE - 30 * MINUTE + Math.floor(next() * 60 * MINUTE);
    const cpuMs = fixture === 'failed' ? 0 : Math.floor(next() * 120_000);
    const scannedBytes = fixture === 'failed' ? 0 : Math.floor(next() * 50 * 2 ** 30);
    const event = queryEvent(fixture, { n, coordinator: `c${clusterId.slice(-4)}`, endTime, cpuMs, scannedBytes });
    unique.push({ clusterId, queryId: event.metadata.queryId, hour: new Date(endTime).toISOString().slice(0, 13), failed: fixture === 'failed', cpuMs, scannedBytes, body: JSON.stringify(event) });
  }
}, 120_000);

afterAll(async () => {
  await plane?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe(`${EVENTS} events through the ingest route`, () => {
  let answers: { status: number; counted?: boolean }[];

  beforeAll(async () => {
    const next = random(7);
    const sent = [...unique, ...unique.slice(0, EVENTS - unique.length)];
    // Fisher-Yates: duplicates and originals in random order, so that some replays arrive first.
    for (let i = sent.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [sent[i], sent[j]] = [sent[j], sent[i]];
    }
    expect(sent).toHaveLength(EVENTS);
    const limit = pLimit(CONCURRENCY);
    answers = await Promise.all(
      sent.map((event) =>
        limit(async () => {
          const response = await post(event.clusterId, event.body, tokens.get(event.clusterId)!);
          return { status: response.status, counted: ((await response.json()) as { counted?: boolean }).counted };
        }),
      ),
    );
  }, 300_000);

  it('accepts every event and counts each query once', () => {
    expect(answers.filter((answer) => answer.status !== 202)).toEqual([]);
    expect(answers.filter((answer) => answer.counted).length).toBe(unique.length);
    expect(answers.filter((answer) => answer.counted === false).length).toBe(EVENTS - unique.length);
  });

  it('has exactly the sums of the unique events in each cluster’s totals and in each hourly window, boundaries included', async () => {
    for (const { clusterId, team } of clusters) {
      const mine = unique.filter((event) => event.clusterId === clusterId);
      const report = await getJson(clients.get(team)!, `/clusters/${clusterId}/usage?from=2026-11-20T08:00:00.000Z&granularity=hour&to=2026-11-20T10:00:00.000Z`);
      expect(report.httpStatus).toBe(200);
      const sums = (events: Sent[]) => ({
        queryCount: events.length,
        failedQueryCount: events.filter((event) => event.failed).length,
        dataScanned: { bytes: events.reduce((sum, event) => sum + event.scannedBytes, 0) },
        cpuUsage: expect.objectContaining({ queryCpuSeconds: events.reduce((sum, event) => sum + event.cpuMs, 0) / 1000 }),
      });
      expect(report.totals).toMatchObject(sums(mine));
      expect(report.windows.map((window: Json) => window.timeWindow)).toEqual([
        { start: '2026-11-20T08:00:00.000Z', end: '2026-11-20T09:00:00.000Z' },
        { start: '2026-11-20T09:00:00.000Z', end: '2026-11-20T10:00:00.000Z' },
      ]);
      expect(report.windows[0]).toMatchObject(sums(mine.filter((event) => event.hour === '2026-11-20T08')));
      expect(report.windows[1]).toMatchObject(sums(mine.filter((event) => event.hour === '2026-11-20T09')));
    }
    // The boundary cases went where they belong: 08:59:59.999 to 08, 09:00:00.000 to 09.
    expect(unique.filter((_, n) => n % 500 === 0).every((event) => event.hour === '2026-11-20T08')).toBe(true);
    expect(unique.filter((_, n) => n % 500 === 1).every((event) => event.hour === '2026-11-20T09')).toBe(true);
  });

  it('keeps one query record per unique event, and no other', async () => {
    for (const { clusterId, team } of clusters) {
      const ids: string[] = [];
      let nextToken: string | undefined;
      do {
        const page = await getJson(clients.get(team)!, `/clusters/${clusterId}/queries?limit=100${nextToken ? `&nextToken=${encodeURIComponent(nextToken)}` : ''}`);
        expect(page.httpStatus).toBe(200);
        ids.push(...page.items.map((record: Json) => record.queryId));
        nextToken = page.nextToken;
      } while (nextToken);
      expect(ids.sort()).toEqual(unique.filter((event) => event.clusterId === clusterId).map((event) => event.queryId).sort());
    }
  });

  it('charges each team the sum of its clusters, and totals the sum of the teams, to the micro-dollar', async () => {
    const micros = (amount: number) => Math.round(amount * 1e6);
    const chargeback = await getJson(admin, '/usage/teams?month=2026-11');
    expect(chargeback.httpStatus).toBe(200);
    const byTeam = new Map<string, number>();
    for (const { clusterId, team } of clusters) {
      const report = await getJson(clients.get(team)!, `/clusters/${clusterId}/usage?from=2026-11-01T00:00:00.000Z&granularity=month&to=2026-12-01T00:00:00.000Z`);
      byTeam.set(team, (byTeam.get(team) ?? 0) + micros(report.totals.estimatedCost.amount));
    }
    expect(chargeback.teams.map((team: Json) => [team.teamId, micros(team.cost.amount)])).toEqual([...byTeam].sort());
    expect(micros(chargeback.total.amount)).toBe([...byTeam.values()].reduce((sum, cost) => sum + cost, 0));
    expect(chargeback.teams.reduce((sum: number, team: Json) => sum + team.queries, 0)).toBe(unique.length);
  });
});

describe('forged and other clusters’ tokens', () => {
  it('are refused with 401: no event is stored, and each refusal is audited', async () => {
    const [target, other] = clusters;
    const attempts = Array.from({ length: 40 }, (_, n) => {
      const event = queryEvent('finished', { n: 90_000 + n, coordinator: 'evil0', endTime: NINE + 15 * MINUTE, cpuMs: 1000, scannedBytes: 1000 });
      const token = n % 2 ? tokens.get(other.clusterId)! : randomBytes(48).toString('base64url');
      return { queryId: event.metadata.queryId, body: JSON.stringify(event), token };
    });
    const before = await getJson(clients.get(target.team)!, `/clusters/${target.clusterId}/usage?from=2026-11-20T08:00:00.000Z&granularity=hour&to=2026-11-20T10:00:00.000Z`);
    for (const attempt of attempts) expect((await post(target.clusterId, attempt.body, attempt.token)).status).toBe(401);

    const after = await getJson(clients.get(target.team)!, `/clusters/${target.clusterId}/usage?from=2026-11-20T08:00:00.000Z&granularity=hour&to=2026-11-20T10:00:00.000Z`);
    expect(after.totals).toEqual(before.totals);
    for (const attempt of attempts.slice(0, 4)) {
      expect((await getJson(clients.get(target.team)!, `/clusters/${target.clusterId}/queries/${attempt.queryId}`)).httpStatus).toBe(404);
    }
    // Tests read the tables as they are: no item names a refused query, and the audit has a refusal for each.
    const scan = async (table: string) => {
      const items: Json[] = [];
      let start: Json | undefined;
      do {
        const page = await plane.tables.doc.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
        items.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start);
      return items;
    };
    const refusedIds = new Set(attempts.map((attempt) => attempt.queryId));
    expect((await scan(plane.tables.stateTable)).filter((item) => refusedIds.has(item.queryId as string))).toEqual([]);
    const refusals = (await scan(plane.tables.auditTable)).filter((record) => record.action === 'ingestQueryEvent');
    expect(refusals).toHaveLength(attempts.length);
    expect(refusals.every((record) => record.outcome === 'REFUSED' && record.status === 401)).toBe(true);
  });
});
