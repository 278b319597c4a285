import { QueryCompletedEvent, TrinoDuration } from '../../../lib/contract/query-completed-event';
import { QUERY_TEXT_MAX_CHARACTERS, QueryRecord } from '../../../lib/contract/usage';
import { queryRecordExpiry, queryRecordOf, queryUsageOf } from '../../../lambda/core/query-records';
import { fixtureEvent, QUERY_EVENT_FIXTURES, type QueryEventFixture } from '../../fixtures/query-events';

/**
 * Trino's QueryCompletedEvent as its http event listener writes it (airlift's JSON codec: ISO
 * instants, durations as decimal seconds, absent optionals left out, every field of the SPI), and
 * the query record SICI keeps of it.
 */

const cluster = { clusterId: 'c-0123456789abcdef', teamId: 'analytics' };

describe('the QueryCompletedEvent schema', () => {
  it.each(Object.keys(QUERY_EVENT_FIXTURES) as QueryEventFixture[])('reads the %s fixture, every field of the SPI included', (name) => {
    const parsed = QueryCompletedEvent.safeParse(fixtureEvent(name));
    expect(parsed.error?.issues).toBeUndefined();
    // Fields SICI does not read go through unread, at every level.
    expect(parsed.data?.statistics).toHaveProperty('operatorSummaries');
    expect(parsed.data).toHaveProperty('ioMetadata');
  });

  it('reads a Duration as Jackson 2 writes it (decimal seconds) and as Jackson 3 does (ISO-8601)', () => {
    expect(TrinoDuration.parse(12.345)).toBe(12_345);
    expect(TrinoDuration.parse(0.0)).toBe(0);
    expect(TrinoDuration.parse(1.0000004)).toBe(1000);
    expect(TrinoDuration.parse('PT12.345S')).toBe(12_345);
    expect(TrinoDuration.parse('PT1H2M3.000000001S')).toBe(3_723_000);
    expect(TrinoDuration.parse('PT0S')).toBe(0);
    for (const bad of [-1, 'P1D', '12.345', 'PT-1S', 'PT1.1234567891S']) expect(TrinoDuration.safeParse(bad).success).toBe(false);
  });

  it('reads instants with 0, 3, 6 or 9 fraction digits, in UTC only', () => {
    for (const endTime of ['2026-12-01T08:15:06Z', '2026-12-01T08:15:06.637Z', '2026-12-01T08:15:06.637123Z', '2026-12-01T08:15:06.637123456Z']) {
      expect(QueryCompletedEvent.safeParse({ ...fixtureEvent('finished'), endTime }).success).toBe(true);
    }
    expect(QueryCompletedEvent.safeParse({ ...fixtureEvent('finished'), endTime: '2026-12-01T09:15:06.637+01:00' }).success).toBe(false);
  });

  it('refuses what a record cannot be made from, naming the field', () => {
    const fields = (change: (event: ReturnType<typeof fixtureEvent>) => void) => {
      const event = fixtureEvent('finished');
      change(event);
      return QueryCompletedEvent.safeParse(event).error?.issues.map((issue) => issue.path.join('.'));
    };
    expect(fields((e) => (e.metadata.queryId = '../../etc'))).toEqual(['metadata.queryId']);
    expect(fields((e) => (e.metadata.queryState = 'QUEUED'))).toEqual(['metadata.queryState']);
    expect(fields((e) => delete e.statistics.cpuTime)).toEqual(['statistics.cpuTime']);
    expect(fields((e) => (e.statistics.outputBytes = 1.5))).toEqual(['statistics.outputBytes']);
    expect(fields((e) => (e.context.user = ''))).toEqual(['context.user']);
    expect(fields((e) => (e.context.source = 'x'.repeat(1025)))).toEqual(['context.source']);
    expect(fields((e) => (e.failureInfo = { errorCode: { code: 1, name: 'SYNTAX_ERROR' } }))).toEqual(['failureInfo.errorCode.type']);
    expect(fields((e) => (e.endTime = '2026-12-01T08:00:00.000Z'))).toEqual(['endTime']);
  });
});

describe('the query record', () => {
  const record = (name: QueryEventFixture, change?: (event: ReturnType<typeof fixtureEvent>) => void) => {
    const event = fixtureEvent(name);
    change?.(event);
    return queryRecordOf(QueryCompletedEvent.parse(event), cluster);
  };

  it('keeps who ran what, when and with what, for the cluster whose token sent it, as a valid QueryRecord', () => {
    const insert = record('insert');
    expect(QueryRecord.parse(insert)).toEqual(insert);
    expect(insert).toMatchObject({
      queryId: '20261201_083010_00051_x7k2p',
      ...cluster,
      user: 'etl-service',
      principal: 'etl-service',
      source: 'airflow',
      catalog: 'iceberg',
      schema: 'sales',
      state: 'FINISHED',
      wallTimeMs: 2117,
      queuedTimeMs: 2,
      cpuTimeMs: 3906,
      peakMemoryBytes: 20971520,
      physicalInputBytes: 41943040,
      physicalInputRows: 912004,
      outputBytes: 9,
      queryTruncated: false,
    });
    expect(insert).not.toHaveProperty('error');
    expect(queryUsageOf(insert)).toEqual({ failed: false, cpuMs: 3906, scannedBytes: 41943040 });
  });

  it('keeps a FAILED query’s error code name and type', () => {
    const failed = record('failed');
    expect(failed.error).toEqual({ code: 'SYNTAX_ERROR', type: 'USER_ERROR' });
    expect(queryUsageOf(failed)).toEqual({ failed: true, cpuMs: 0, scannedBytes: 0 });
  });

  it('leaves out what the event left out (Optional.empty), and writes instants to the millisecond', () => {
    const anonymous = record('finished', (e) => {
      delete e.context.principal;
      delete e.context.source;
      delete e.context.catalog;
      delete e.context.schema;
      e.endTime = '2026-12-01T08:15:06.637999999Z';
    });
    expect(Object.keys(anonymous)).not.toEqual(expect.arrayContaining(['principal']));
    for (const field of ['principal', 'source', 'catalog', 'schema']) expect(anonymous).not.toHaveProperty(field);
    expect(anonymous.endTime).toBe('2026-12-01T08:15:06.637Z');
  });

  it('cuts a long text at QUERY_TEXT_MAX_CHARACTERS, and one before it rather than through a surrogate pair', () => {
    const exact = record('finished', (e) => (e.metadata.query = 'x'.repeat(QUERY_TEXT_MAX_CHARACTERS)));
    expect(exact).toMatchObject({ queryTruncated: false });
    expect(exact.query).toHaveLength(QUERY_TEXT_MAX_CHARACTERS);
    const long = record('finished', (e) => (e.metadata.query = 'y'.repeat(1_000_000)));
    expect(long.query).toHaveLength(QUERY_TEXT_MAX_CHARACTERS);
    expect(long.queryTruncated).toBe(true);
    const emoji = record('finished', (e) => (e.metadata.query = `${'z'.repeat(QUERY_TEXT_MAX_CHARACTERS - 1)}😀😀`));
    expect(emoji.query).toBe('z'.repeat(QUERY_TEXT_MAX_CHARACTERS - 1));
    expect(emoji.queryTruncated).toBe(true);
  });

  it('expires queryRecordRetentionDays after the query ended', () => {
    expect(queryRecordExpiry(record('finished'), 90)).toBe(Date.parse('2026-12-01T08:15:06.637Z') / 1000 + 90 * 86_400 - 0.637);
  });
});
