import { AuditPage } from '../../../lib/contract/fleet';
import { appendAudit, type AuditRecord } from '../../../lambda/core/audit-log';
import { AUDIT_CSV_HEADER } from '../../../lambda/api/audit-csv';
import { ADMIN, ApiHarness, principalOf } from '../../support/api-harness';

/**
 * Reading the audit trail (GET /audit) through the router over dynalite: the index chosen per
 * filter (entity: the table's key; actor: byActor; else byDay, newest day first), the range and its
 * bounds, paging with opaque tokens, and CSV.
 */

let api: ApiHarness;
const ALICE = principalOf('audit-alice');
const BOB = principalOf('audit-bob');
const DAY = 86_400_000;

let counter = 0;
async function record(time: string, fields: Partial<AuditRecord> = {}): Promise<AuditRecord> {
  const audit: AuditRecord = {
    actor: ALICE,
    teamId: 'audit-a',
    action: 'createCluster',
    time,
    sourceIp: '192.0.2.1',
    entity: 'cluster/c-00000000000000aa',
    requestId: `seed-${String(++counter).padStart(4, '0')}`,
    outcome: 'SUCCEEDED',
    status: 202,
    ...fields,
  };
  await appendAudit(api.tables, audit);
  return audit;
}

/** Records over three days of November 2026 (a range the harness's own calls never reach). */
const seeded: AuditRecord[] = [];

/** GET /audit as CSV, straight through the router (the harness reads answers as JSON). */
let csvRequests = 0;
const csv = (query: Record<string, string>) =>
  api.route({ method: 'GET', path: '/audit', query: Object.fromEntries(Object.entries(query).map(([name, value]) => [name, [value]])), headers: { accept: 'text/csv' }, principalArn: ADMIN, sourceIp: '192.0.2.1', requestId: `csv-${++csvRequests}` });
beforeAll(async () => {
  api = await ApiHarness.start();
  await api.registerTeam('audit-a', [ALICE]);
  seeded.push(
    await record('2026-11-10T00:00:00.000Z'),
    await record('2026-11-10T09:00:00.000Z', { actor: BOB, teamId: 'audit-b', entity: 'cluster/c-00000000000000bb', action: 'deleteCluster', outcome: 'REFUSED', status: 409 }),
    await record('2026-11-10T23:59:59.999Z', { action: 'updateCluster' }),
    await record('2026-11-11T12:00:00.000Z', { actor: BOB, teamId: 'audit-b', entity: 'team/audit-b', action: 'putTeam', status: 200 }),
    await record('2026-11-12T08:00:00.000Z', { actor: ADMIN, teamId: undefined, entity: 'fleet', action: 'startDriftCheck', metadata: { selector: { all: true }, note: 'says "hi", then, =cmd' } }),
    await record('2026-11-12T08:00:00.000Z', { entity: 'cluster/c-00000000000000bb', action: 'deleteCluster' }),
    await record('2026-11-12T20:00:00.000Z', { outcome: 'FAILED', status: 500 }),
  );
});
afterAll(() => api.stop());

const RANGE = { from: '2026-11-10T00:00:00.000Z', to: '2026-11-12T20:00:00.000Z' };

/** Every page of GET /audit with `query`, as the seeded records' request ids. */
async function listAll(query: Record<string, string>, limit = '2'): Promise<string[]> {
  const ids: string[] = [];
  let nextToken: string | undefined;
  do {
    const answer = await api.call(ADMIN, 'GET', '/audit', { query: { ...query, limit, ...(nextToken ? { nextToken } : {}) } });
    expect(answer.status).toBe(200);
    AuditPage.parse(answer.json);
    ids.push(...answer.json.items.map((item: AuditRecord) => item.requestId));
    nextToken = answer.json.nextToken;
  } while (nextToken);
  return ids;
}

/** The seeded records that `keep` selects, newest first (by time, then request id, as the sort key orders them). */
const expected = (keep: (record: AuditRecord) => boolean) =>
  seeded
    .filter(keep)
    .sort((a, b) => `${b.time}#${b.requestId}`.localeCompare(`${a.time}#${a.requestId}`))
    .map((record) => record.requestId);

describe('GET /audit', () => {
  it('reads the range newest first over its days, with both ends included, a page at a time', async () => {
    expect(await listAll(RANGE)).toEqual(expected(() => true));
    expect(await listAll(RANGE, '100')).toEqual(expected(() => true));
    expect(await listAll({ from: '2026-11-10T09:00:00.000Z', to: '2026-11-12T08:00:00.000Z' }, '1')).toEqual(
      expected((r) => r.time >= '2026-11-10T09:00:00.000Z' && r.time <= '2026-11-12T08:00:00.000Z'),
    );
  });

  it('a record is shown as written, without the keys it is stored under', async () => {
    const answer = await api.call(ADMIN, 'GET', '/audit', { query: { ...RANGE, action: 'startDriftCheck' } });
    expect(answer.json.items).toEqual([
      { time: '2026-11-12T08:00:00.000Z', actor: ADMIN, action: 'startDriftCheck', entity: 'fleet', outcome: 'SUCCEEDED', status: 202, sourceIp: '192.0.2.1', requestId: seeded[4].requestId, metadata: seeded[4].metadata },
    ]);
  });

  it.each([
    [{ actor: BOB }, (r: AuditRecord) => r.actor === BOB],
    [{ entity: 'cluster/c-00000000000000bb' }, (r: AuditRecord) => r.entity === 'cluster/c-00000000000000bb'],
    [{ entity: 'cluster/c-00000000000000bb', actor: ALICE }, (r: AuditRecord) => r.entity === 'cluster/c-00000000000000bb' && r.actor === ALICE],
    [{ actor: ALICE, action: 'createCluster' }, (r: AuditRecord) => r.actor === ALICE && r.action === 'createCluster'],
    [{ teamId: 'audit-b' }, (r: AuditRecord) => r.teamId === 'audit-b'],
    [{ action: 'deleteCluster', outcome: 'REFUSED' }, (r: AuditRecord) => r.action === 'deleteCluster' && r.outcome === 'REFUSED'],
    [{ outcome: 'FAILED' }, (r: AuditRecord) => r.outcome === 'FAILED'],
    [{ teamId: 'nobody' }, () => false],
  ])('filters %j, over pages of one', async (filters, keep) => {
    expect(await listAll({ ...RANGE, ...filters }, '1')).toEqual(expected(keep));
  });

  it('defaults to the last 7 days', async () => {
    const now = Date.now();
    const recent = await record(new Date(now - DAY).toISOString(), { actor: principalOf('audit-default-range') });
    await record(new Date(now - 8 * DAY).toISOString(), { actor: principalOf('audit-default-range') });
    expect(await listAll({ actor: principalOf('audit-default-range') })).toEqual([recent.requestId]);
    // `to` alone: the 7 days before it.
    expect(await listAll({ to: '2026-11-12T00:00:00.000Z', teamId: 'audit-b' })).toEqual(expected((r) => r.teamId === 'audit-b' && r.time <= '2026-11-12T00:00:00.000Z'));
  });

  it('refuses from after to, and a range over 92 days, naming the field; 92 days is allowed', async () => {
    const reversed = await api.call(ADMIN, 'GET', '/audit', { query: { from: '2026-11-12T00:00:00.000Z', to: '2026-11-11T00:00:00.000Z' } });
    expect(reversed.status).toBe(400);
    expect(reversed.headers['content-type']).toBe('application/problem+json');
    expect(reversed.json.errors).toEqual([expect.objectContaining({ field: 'query.from' })]);
    const long = await api.call(ADMIN, 'GET', '/audit', { query: { from: '2026-08-01T00:00:00.000Z', to: '2026-11-12T00:00:00.000Z' } });
    expect(long.status).toBe(400);
    expect(long.json.errors).toEqual([expect.objectContaining({ field: 'query.from', message: expect.stringContaining('92 days') })]);
    const widest = await api.call(ADMIN, 'GET', '/audit', { query: { from: '2026-08-12T20:00:00.000Z', to: RANGE.to, limit: '100' } });
    expect(widest.status).toBe(200);
    expect(widest.json.items.map((item: AuditRecord) => item.requestId)).toEqual(expected(() => true));
    const notATime = await api.call(ADMIN, 'GET', '/audit', { query: { from: 'yesterday' } });
    expect(notATime.status).toBe(400);
    expect(notATime.json.errors.map((error: { field: string }) => error.field)).toEqual(['query.from']);
  });

  it("refuses a token that is not this query's", async () => {
    const page = await api.call(ADMIN, 'GET', '/audit', { query: { ...RANGE, limit: '1' } });
    const token = page.json.nextToken as string;
    expect(token).toBeDefined();
    const forged = Buffer.from(JSON.stringify({ p: '2026-11-11', k: { pk: 'team/audit-b', sk: 'x', day: '2026-11-12' } })).toString('base64url');
    for (const query of [
      { ...RANGE, actor: BOB, nextToken: token },
      { from: '2026-11-01T00:00:00.000Z', to: '2026-11-05T00:00:00.000Z', nextToken: token },
      { ...RANGE, nextToken: forged },
      { ...RANGE, nextToken: 'not-a-token' },
    ]) {
      const answer = await api.call(ADMIN, 'GET', '/audit', { query });
      expect(answer.status).toBe(400);
      expect(answer.json.errors).toEqual([expect.objectContaining({ field: 'query.nextToken' })]);
    }
  });

  it('answers CSV for Accept: text/csv: a header row, RFC 4180 quoting, CRLF lines, formulas defused, the next token in a header', async () => {
    const answer = await csv({ ...RANGE, limit: '3' });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/csv; charset=utf-8');
    const lines = answer.body.split('\r\n');
    expect(lines[0]).toBe(AUDIT_CSV_HEADER.join(','));
    expect(lines).toHaveLength(5); // header, three rows, and the empty string after the last CRLF
    expect(lines[4]).toBe('');
    const [newest, , drift] = expected(() => true).map((id) => seeded.find((r) => r.requestId === id)!);
    expect(lines[1]).toBe([newest.time, newest.actor, newest.teamId, newest.action, newest.entity, 'FAILED', '500', newest.sourceIp, newest.requestId, ''].join(','));
    const metadata = JSON.stringify(drift.metadata).replace(/"/g, '""');
    expect(lines).toContain(`${drift.time},${ADMIN},,startDriftCheck,fleet,SUCCEEDED,202,192.0.2.1,${drift.requestId},"${metadata}"`);
    expect(answer.headers['x-next-token']).toBeDefined();
    const rest = await csv({ ...RANGE, limit: '100', nextToken: answer.headers['x-next-token'] });
    expect(rest.body.split('\r\n')).toHaveLength(1 + seeded.length - 3 + 1);

    const formula = await record('2026-11-10T01:00:00.000Z', { actor: '=HYPERLINK("http://example.com")', teamId: 'audit-formula' });
    const defused = await csv({ ...RANGE, teamId: 'audit-formula' });
    expect(defused.body.split('\r\n')[1]).toBe(`${formula.time},"'=HYPERLINK(""http://example.com"")",audit-formula,createCluster,cluster/c-00000000000000aa,SUCCEEDED,202,192.0.2.1,${formula.requestId},`);
    seeded.push(formula);
  });

  it('the JSON answer without Accept: text/csv', async () => {
    const answer = await api.call(ADMIN, 'GET', '/audit', { query: RANGE, headers: { accept: 'application/json, text/csv' } });
    expect(answer.headers['content-type']).toBe('application/json');
    AuditPage.parse(answer.json);
  });
});
