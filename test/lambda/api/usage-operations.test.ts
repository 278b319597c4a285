import { randomBytes } from 'node:crypto';
import { QUERY_TEXT_MAX_CHARACTERS } from '../../../lib/contract/usage';
import { INGEST_EVENT_MAX_BYTES } from '../../../lib/contract/query-completed-event';
import { clusterKey } from '../../../lambda/core/cluster-store';
import { recordIngestToken } from '../../../lambda/core/ingest-tokens';
import { BYTES_PER_TIB } from '../../../lambda/core/pricing';
import { usageWindowKey } from '../../../lambda/core/usage-store';
import { CHARGEBACK_CSV_HEADER } from '../../../lambda/api/chargeback-csv';
import { fixtureEvent, queryEvent } from '../../fixtures/query-events';
import { ADMIN, ApiHarness, principalOf, type CallOptions } from '../../support/api-harness';

/**
 * Usage, query history and chargeback through the router over dynalite: the engines' ingest route
 * (authenticated by the cluster's token), a cluster's usage and queries (its team only), and the
 * admin chargeback, JSON and CSV.
 */

const ALICE = principalOf('usage-alice');
const BOB = principalOf('usage-bob');
const HOUR = 3_600_000;
/** An hour of the recent past (query records expire 90 days after their query ended). */
const NINE = Date.parse('2026-11-20T09:00:00.000Z');

let api: ApiHarness;
const token = new Map<string, string>();
let analytics: string;
let reporting: string;
let finance: string;

async function activeCluster(principal: string): Promise<string> {
  const answer = await api.call(principal, 'POST', '/clusters', { body: { environment: 'dev', tier: 'S' } });
  const { clusterId } = answer.json.cluster;
  await api.settle(clusterKey(clusterId), 'ACTIVE');
  const secret = randomBytes(32).toString('base64url');
  await recordIngestToken(api.tables, clusterId, secret);
  token.set(clusterId, secret);
  return clusterId;
}

/** Posts an event as the engine of `tokenOf` would, to the ingest route of `clusterId`. */
const ingest = (clusterId: string, event: unknown, tokenOf = clusterId, options: CallOptions = {}) =>
  api.call(undefined, 'POST', `/clusters/${clusterId}/queries`, {
    body: event,
    ...options,
    headers: { authorization: `Bearer ${token.get(tokenOf) ?? tokenOf}`, ...options.headers },
  });

const usage = (principal: string, clusterId: string, query: Record<string, string>) => api.call(principal, 'GET', `/clusters/${clusterId}/usage`, { query });
const micros = (amount: number) => Math.round(amount * 1e6);

beforeAll(async () => {
  api = await ApiHarness.start();
  await api.registerTeam('usage-analytics', [ALICE]);
  await api.registerTeam('usage-finance', [BOB]);
  analytics = await activeCluster(ALICE);
  reporting = await activeCluster(ALICE);
  finance = await activeCluster(BOB);
});
afterAll(() => api.stop());

describe('POST /clusters/{id}/queries (the engines’ ingest route)', () => {
  it('records the query and counts it once: a replay answers counted: false and changes nothing', async () => {
    const event = fixtureEvent('finished');
    const first = await ingest(analytics, event);
    expect(first.status).toBe(202);
    expect(first.json).toEqual({ queryId: event.metadata.queryId, counted: true });
    const again = await ingest(analytics, event);
    expect(again.status).toBe(202);
    expect(again.json).toEqual({ queryId: event.metadata.queryId, counted: false });

    const record = await api.call(ALICE, 'GET', `/clusters/${analytics}/queries/${event.metadata.queryId}`);
    expect(record.status).toBe(200);
    expect(record.json).toEqual({
      queryId: '20261201_081502_00042_x7k2p',
      clusterId: analytics,
      teamId: 'usage-analytics',
      user: 'alice@example.com',
      principal: 'alice@example.com',
      source: 'trino-cli',
      catalog: 'iceberg',
      schema: 'sales',
      state: 'FINISHED',
      createTime: '2026-12-01T08:15:02.125Z',
      executionStartTime: '2026-12-01T08:15:02.740Z',
      endTime: '2026-12-01T08:15:06.637Z',
      wallTimeMs: 4512,
      queuedTimeMs: 3,
      cpuTimeMs: 12345,
      peakMemoryBytes: 118489088,
      physicalInputBytes: 1267734528,
      physicalInputRows: 28311142,
      outputBytes: 47,
      query: event.metadata.query,
      queryTruncated: false,
    });

    const report = await usage(ALICE, analytics, { from: '2026-12-01T08:00:00Z', to: '2026-12-01T09:00:00Z', granularity: 'hour' });
    expect(report.status).toBe(200);
    expect(report.json.windows).toHaveLength(1);
    expect(report.json.totals).toMatchObject({ queryCount: 1, failedQueryCount: 0, dataScanned: { bytes: 1267734528 }, cpuUsage: { queryCpuSeconds: 12.345 } });
  });

  it('keeps the error code and type of a FAILED query and counts it as failed', async () => {
    const event = fixtureEvent('failed');
    expect((await ingest(analytics, event)).status).toBe(202);
    const record = await api.call(ALICE, 'GET', `/clusters/${analytics}/queries/${event.metadata.queryId}`);
    expect(record.json).toMatchObject({ state: 'FAILED', error: { code: 'SYNTAX_ERROR', type: 'USER_ERROR' }, user: 'bob@example.com', source: 'trino-jdbc' });
    const report = await usage(ALICE, analytics, { from: '2026-12-01T08:00:00Z', to: '2026-12-01T09:00:00Z', granularity: 'hour' });
    expect(report.json.totals).toMatchObject({ queryCount: 2, failedQueryCount: 1 });
  });

  it('accepts durations written as ISO-8601 (Jackson 3) as well as decimal seconds', async () => {
    const event = queryEvent('finished', { n: 1, coordinator: 'iso00', endTime: NINE + 5 * HOUR });
    event.statistics.cpuTime = 'PT1M2.5S';
    event.statistics.wallTime = 'PT2H';
    event.statistics.queuedTime = 'PT0S';
    expect((await ingest(analytics, event)).status).toBe(202);
    const record = await api.call(ALICE, 'GET', `/clusters/${analytics}/queries/${event.metadata.queryId}`);
    expect(record.json).toMatchObject({ cpuTimeMs: 62_500, wallTimeMs: 7_200_000, queuedTimeMs: 0 });
  });

  it('cuts the query text at QUERY_TEXT_MAX_CHARACTERS, never through a surrogate pair, and says so', async () => {
    const event = queryEvent('finished', { n: 2, coordinator: 'long0', endTime: NINE + 5 * HOUR });
    event.metadata.query = `SELECT '${'x'.repeat(QUERY_TEXT_MAX_CHARACTERS - 9)}😀' AS long_text`;
    expect((await ingest(analytics, event)).status).toBe(202);
    const record = await api.call(ALICE, 'GET', `/clusters/${analytics}/queries/${event.metadata.queryId}`);
    expect(record.json.queryTruncated).toBe(true);
    expect(record.json.query).toBe(event.metadata.query.slice(0, QUERY_TEXT_MAX_CHARACTERS - 1));
    expect(record.json.query.endsWith('x')).toBe(true);
  });

  it('counts an event for the token’s cluster, whatever the event says about where it ran', async () => {
    const event = queryEvent('finished', { n: 3, coordinator: 'where', endTime: NINE - 72 * HOUR });
    event.metadata.uri = `https://${finance}.dev.query.sici.example.com/v1/query/${event.metadata.queryId}`;
    event.context.serverAddress = `${finance}.internal`;
    event.clusterId = finance;
    expect((await ingest(reporting, event)).status).toBe(202);
    expect((await api.call(ALICE, 'GET', `/clusters/${reporting}/queries/${event.metadata.queryId}`)).status).toBe(200);
    expect((await api.call(BOB, 'GET', `/clusters/${finance}/queries/${event.metadata.queryId}`)).status).toBe(404);
  });

  it('refuses a missing, forged or other cluster’s token with 401, stores nothing, and audits the refusal', async () => {
    const event = queryEvent('finished', { n: 4, coordinator: 'forge', endTime: NINE + 7 * HOUR });
    const refusals = async () => (await api.items('audit')).filter((record) => record.action === 'ingestQueryEvent');
    const before = await refusals();
    const answers = [
      await ingest(analytics, event, finance), // another cluster's token
      await ingest(analytics, event, 'forged-token-0123456789abcdef'),
      await api.call(undefined, 'POST', `/clusters/${analytics}/queries`, { body: event }),
      await api.call(ALICE, 'POST', `/clusters/${analytics}/queries`, { body: event }), // SigV4 plays no part here
    ];
    for (const answer of answers) {
      expect(answer.status).toBe(401);
      expect(answer.json.type).toMatch(/invalid-token$/);
    }
    const stored = (await api.items('state')).filter((item) => item.queryId === event.metadata.queryId);
    expect(stored).toEqual([]);
    const refused = (await refusals()).filter((record) => !before.some((earlier) => earlier.requestId === record.requestId));
    expect(refused).toHaveLength(4);
    expect(refused.every((record) => record.outcome === 'REFUSED' && record.status === 401)).toBe(true);
  });

  it('refuses events for an unknown or DELETED cluster, and counts nothing', async () => {
    const event = queryEvent('finished', { n: 5, coordinator: 'gone0', endTime: NINE + 7 * HOUR });
    expect((await ingest('c-0000000000000000', event, finance)).status).toBe(401);
    const doomed = await activeCluster(BOB);
    await api.settle(clusterKey(doomed), 'DELETED');
    expect((await ingest(doomed, event)).status).toBe(401);
    const report = await usage(BOB, doomed, { from: new Date(NINE).toISOString(), to: new Date(NINE + 24 * HOUR).toISOString(), granularity: 'hour' });
    expect(report.json.totals.queryCount).toBe(0);
  });

  it('refuses a malformed event with 400 naming the field, and an event over 4 MiB with 413', async () => {
    const notJson = await ingest(analytics, undefined, analytics, { rawBody: '{"metadata":' });
    expect(notJson.status).toBe(400);

    const noId = fixtureEvent('finished');
    delete noId.metadata.queryId;
    const missing = await ingest(analytics, noId);
    expect(missing.status).toBe(400);
    expect(missing.json.errors).toEqual([expect.objectContaining({ field: 'body.metadata.queryId' })]);

    const running = fixtureEvent('finished');
    running.metadata.queryState = 'RUNNING';
    expect((await ingest(analytics, running)).json.errors[0].field).toBe('body.metadata.queryState');

    const negative = fixtureEvent('finished');
    negative.statistics.physicalInputBytes = -1;
    expect((await ingest(analytics, negative)).json.errors[0].field).toBe('body.statistics.physicalInputBytes');

    const backwards = fixtureEvent('finished');
    backwards.endTime = '2026-12-01T08:00:00.000Z';
    expect((await ingest(analytics, backwards)).json.errors[0].field).toBe('body.endTime');

    const huge = fixtureEvent('finished');
    huge.metadata.plan = 'x'.repeat(INGEST_EVENT_MAX_BYTES);
    expect((await ingest(analytics, huge)).status).toBe(413);
  });

  it('takes events far larger than other routes’ bodies (plans and operator summaries): the ingest route’s limit is 4 MiB', async () => {
    const event = queryEvent('finished', { n: 6, coordinator: 'large', endTime: NINE + 7 * HOUR });
    event.statistics.operatorSummaries = Array.from({ length: 200 }, (_, i) => JSON.stringify({ operatorId: i, info: 'y'.repeat(2000) }));
    expect(JSON.stringify(event).length).toBeGreaterThan(400_000);
    expect((await ingest(analytics, event)).status).toBe(202);
  });

  it('writes a query record and its window together or not at all', async () => {
    const hour = '2026-11-20T20';
    const first = queryEvent('finished', { n: 7, coordinator: 'atomc', endTime: Date.parse(`${hour}:10:00.000Z`) });
    expect((await ingest(analytics, first)).status).toBe(202);
    // The window cannot take another count (its counter is not a number): the transaction fails whole.
    await api.setFields(usageWindowKey(analytics, hour), { queryCount: 'not a number' });
    const second = queryEvent('finished', { n: 8, coordinator: 'atomc', endTime: Date.parse(`${hour}:20:00.000Z`) });
    expect((await ingest(analytics, second)).status).toBe(500);
    expect((await api.call(ALICE, 'GET', `/clusters/${analytics}/queries/${second.metadata.queryId}`)).status).toBe(404);
    await api.setFields(usageWindowKey(analytics, hour), { queryCount: 1 });
    expect((await ingest(analytics, second)).json.counted).toBe(true);
    const report = await usage(ALICE, analytics, { from: `${hour}:00:00Z`, to: '2026-11-20T21:00:00Z', granularity: 'hour' });
    expect(report.json.totals.queryCount).toBe(2);
  });
});

describe('GET /clusters/{id}/usage', () => {
  const at = (hours: number, minutes = 0) => NINE + hours * HOUR + minutes * 60_000;
  beforeAll(async () => {
    // reporting: 08:59:59.999 and 09:00:00.000 fall in two hours; a day later, and a month later.
    const events = [
      queryEvent('finished', { n: 10, coordinator: 'repo1', endTime: at(0) - 1, cpuMs: 1000, scannedBytes: 1000 }),
      queryEvent('finished', { n: 11, coordinator: 'repo1', endTime: at(0), cpuMs: 2000, scannedBytes: 2000 }),
      queryEvent('failed', { n: 12, coordinator: 'repo1', endTime: at(0, 59), cpuMs: 0, scannedBytes: 0 }),
      queryEvent('insert', { n: 13, coordinator: 'repo1', endTime: at(24), cpuMs: 4000, scannedBytes: BYTES_PER_TIB }),
    ];
    for (const event of events) expect((await ingest(reporting, event)).status).toBe(202);
  });

  it('gives each hourly window exactly the queries that ended in it, boundaries included', async () => {
    const report = await usage(ALICE, reporting, { from: new Date(at(-1)).toISOString(), to: new Date(at(2)).toISOString(), granularity: 'hour' });
    expect(report.json.windows.map((w: { timeWindow: { start: string } }) => [w.timeWindow.start, (w as unknown as { queryCount: number }).queryCount])).toEqual([
      ['2026-11-20T08:00:00.000Z', 1],
      ['2026-11-20T09:00:00.000Z', 2],
    ]);
    expect(report.json.windows[1]).toMatchObject({ failedQueryCount: 1, dataScanned: { bytes: 2000 }, cpuUsage: { queryCpuSeconds: 2 } });
    expect(report.json.totals).toMatchObject({ timeWindow: { start: new Date(at(-1)).toISOString(), end: new Date(at(2)).toISOString() }, queryCount: 3 });
  });

  it('rolls hours up into UTC days and months, and prices a TiB scanned at scannedTiB', async () => {
    const days = await usage(ALICE, reporting, { from: '2026-11-19T00:00:00Z', to: '2026-11-23T00:00:00Z', granularity: 'day' });
    expect(days.json.windows.map((w: { timeWindow: { start: string; end: string }; queryCount: number }) => [w.timeWindow, w.queryCount])).toEqual([
      [{ start: '2026-11-20T00:00:00.000Z', end: '2026-11-21T00:00:00.000Z' }, 3],
      [{ start: '2026-11-21T00:00:00.000Z', end: '2026-11-22T00:00:00.000Z' }, 1],
    ]);
    expect(days.json.windows[1].estimatedCost).toEqual({ currency: 'USD', amount: api.deps.config.prices.scannedTiB });
    const months = await usage(ALICE, reporting, { from: '2026-09-01T00:00:00Z', to: '2026-12-01T00:00:00Z', granularity: 'month' });
    expect(months.json.windows).toHaveLength(1);
    expect(months.json.windows[0].timeWindow).toEqual({ start: '2026-11-01T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z' });
    const sum = days.json.windows.reduce((total: number, w: { estimatedCost: { amount: number } }) => total + micros(w.estimatedCost.amount), 0);
    expect(micros(days.json.totals.estimatedCost.amount)).toBe(sum);
  });

  it('prices each window with the price table in force when it was recorded: a later price change leaves it as it was', async () => {
    const prices = api.deps.config.prices;
    const before = prices.scannedTiB;
    const old = await usage(ALICE, reporting, { from: '2026-11-21T00:00:00Z', to: '2026-11-22T00:00:00Z', granularity: 'day' });
    try {
      prices.scannedTiB = before * 10;
      // Another query in the same hour keeps the hour's table; a new hour takes the new one.
      expect((await ingest(reporting, queryEvent('finished', { n: 14, coordinator: 'repo1', endTime: at(24, 30), cpuMs: 0, scannedBytes: BYTES_PER_TIB }))).status).toBe(202);
      expect((await ingest(reporting, queryEvent('finished', { n: 15, coordinator: 'repo1', endTime: at(26), cpuMs: 0, scannedBytes: BYTES_PER_TIB }))).status).toBe(202);
    } finally {
      prices.scannedTiB = before;
    }
    const after = await usage(ALICE, reporting, { from: '2026-11-21T00:00:00Z', to: '2026-11-22T00:00:00Z', granularity: 'hour' });
    expect(old.json.totals.estimatedCost.amount).toBe(before);
    expect(after.json.windows.map((w: { estimatedCost: { amount: number } }) => w.estimatedCost.amount)).toEqual([2 * before, 10 * before]);
  });

  it('answers 404 for another team’s cluster, and 400 naming the field for a bad range or granularity', async () => {
    expect((await usage(BOB, reporting, {})).status).toBe(404);
    const backwards = await usage(ALICE, reporting, { from: '2026-11-21T00:00:00Z', to: '2026-11-20T00:00:00Z' });
    expect(backwards.status).toBe(400);
    expect(backwards.json.errors).toEqual([{ field: 'query.from', message: 'must be before to' }]);
    const long = await usage(ALICE, reporting, { from: '2026-01-01T00:00:00Z', to: '2026-11-20T00:00:00Z', granularity: 'hour' });
    expect(long.status).toBe(400);
    expect(long.json.errors[0].field).toBe('query.to');
    const granularity = await usage(ALICE, reporting, { granularity: 'week' });
    expect(granularity.status).toBe(400);
    expect(granularity.json.errors[0].field).toBe('query.granularity');
    const future = await usage(ALICE, reporting, { from: '2099-01-01T00:00:00Z' });
    expect(future.json.errors[0].field).toBe('query.from');
  });

  it('defaults to the last 30 days at day granularity', async () => {
    const report = await usage(ALICE, reporting, {});
    expect(report.status).toBe(200);
    expect(report.json.granularity).toBe('day');
    expect(Date.parse(report.json.to) - Date.parse(report.json.from)).toBe(30 * 24 * HOUR);
  });
});

describe('GET /clusters/{id}/queries', () => {
  const base = Date.parse('2026-11-25T10:00:00.000Z');
  beforeAll(async () => {
    for (let i = 0; i < 7; i++) {
      const name = i % 3 === 2 ? 'failed' : 'finished';
      const event = queryEvent(name, { n: 100 + i, coordinator: 'hist0', endTime: base + i * 60_000, user: i % 2 ? 'carol' : 'dave' });
      expect((await ingest(finance, event)).status).toBe(202);
    }
  });
  const list = (query: Record<string, string>, principal = BOB) => api.call(principal, 'GET', `/clusters/${finance}/queries`, { query });
  const ends = (answer: { json: { items: { endTime: string }[] } }) => answer.json.items.map((item) => (Date.parse(item.endTime) - base) / 60_000);

  it('lists newest first, page by page', async () => {
    const first = await list({ limit: '3' });
    expect(ends(first)).toEqual([6, 5, 4]);
    const second = await list({ limit: '3', nextToken: first.json.nextToken });
    expect(ends(second)).toEqual([3, 2, 1]);
    const third = await list({ limit: '3', nextToken: second.json.nextToken });
    expect(ends(third)).toEqual([0]);
    expect(third.json.nextToken).toBeUndefined();
  });

  it('filters by user, state and end time (from inclusive, to exclusive)', async () => {
    expect(ends(await list({ user: 'carol' }))).toEqual([5, 3, 1]);
    expect(ends(await list({ state: 'FAILED' }))).toEqual([5, 2]);
    expect(ends(await list({ from: new Date(base + 2 * 60_000).toISOString(), to: new Date(base + 5 * 60_000).toISOString() }))).toEqual([4, 3, 2]);
    expect(ends(await list({ from: new Date(base + 6 * 60_000).toISOString() }))).toEqual([6]);
    expect(ends(await list({ to: new Date(base + 60_000).toISOString(), user: 'dave' }))).toEqual([0]);
  });

  it('answers 404 for another team, and 400 for a bad filter or another cluster’s token', async () => {
    expect((await list({}, ALICE)).status).toBe(404);
    expect((await api.call(ALICE, 'GET', `/clusters/${finance}/queries/20261125_095958_00100_hist0`)).status).toBe(404);
    const backwards = await list({ from: new Date(base + 60_000).toISOString(), to: new Date(base).toISOString() });
    expect(backwards.json.errors[0].field).toBe('query.from');
    expect((await list({ state: 'RUNNING' })).json.errors[0].field).toBe('query.state');
    const own = await api.call(ALICE, 'GET', `/clusters/${analytics}/queries`, { query: { limit: '1' } });
    const stolen = await list({ nextToken: own.json.nextToken });
    expect(stolen.status).toBe(400);
    expect(stolen.json.errors[0].field).toBe('query.nextToken');
  });
});

describe('GET /usage/teams (chargeback)', () => {
  it('charges each team the sum of its clusters for the month; the total is the sum of the teams', async () => {
    const answer = await api.call(ADMIN, 'GET', '/usage/teams', { query: { month: '2026-11' } });
    expect(answer.status).toBe(200);
    const teams = answer.json.teams as { teamId: string; clusters: number; queries: number; cost: { amount: number } }[];
    expect(teams.map((team) => team.teamId)).toEqual(['usage-analytics', 'usage-finance']);
    expect(micros(answer.json.total.amount)).toBe(teams.reduce((sum, team) => sum + micros(team.cost.amount), 0));
    for (const [team, clusters, principal] of [
      [teams[0], [analytics, reporting], ALICE],
      [teams[1], [finance], BOB],
    ] as const) {
      let cost = 0;
      let queries = 0;
      for (const clusterId of clusters) {
        const report = await usage(principal, clusterId, { from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z', granularity: 'month' });
        cost += micros(report.json.totals.estimatedCost.amount);
        queries += report.json.totals.queryCount;
      }
      expect(micros(team.cost.amount)).toBe(cost);
      expect(team.queries).toBe(queries);
    }
    expect(teams[0].clusters).toBe(2);
  });

  it('answers CSV (RFC 4180, a header row, CRLF) for Accept: text/csv', async () => {
    const json = await api.call(ADMIN, 'GET', '/usage/teams', { query: { month: '2026-11' } });
    const csv = await api.route({ method: 'GET', path: '/usage/teams', query: { month: ['2026-11'] }, headers: { accept: 'text/csv' }, principalArn: ADMIN, sourceIp: '192.0.2.1', requestId: 'csv-1' });
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    const lines = csv.body.split('\r\n');
    expect(lines[0]).toBe(CHARGEBACK_CSV_HEADER.join(','));
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(1, -1)).toEqual(
      json.json.teams.map((team: { teamId: string; clusters: number; nodeHours: number; queries: number; dataScannedBytes: number; cost: { amount: number } }) =>
        ['2026-11', team.teamId, team.clusters, team.nodeHours, team.queries, team.dataScannedBytes, team.cost.amount].join(','),
      ),
    );
  });

  it('is for admins only, and needs a month YYYY-MM', async () => {
    expect((await api.call(ALICE, 'GET', '/usage/teams', { query: { month: '2026-11' } })).status).toBe(403);
    const bad = await api.call(ADMIN, 'GET', '/usage/teams', { query: { month: '2026-13' } });
    expect(bad.status).toBe(400);
    expect(bad.json.errors[0].field).toBe('query.month');
    const empty = await api.call(ADMIN, 'GET', '/usage/teams', { query: { month: '2025-01' } });
    expect(empty.json).toEqual({ month: '2025-01', teams: [], total: { currency: 'USD', amount: 0 } });
  });
});
