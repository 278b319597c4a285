import * as z from 'zod';
import { QueryId } from './usage';

/**
 * The JSON that Trino's http event listener posts for each completed query: the SPI's
 * `io.trino.spi.eventlistener.QueryCompletedEvent` (core/trino-spi), written by the plugin's
 * `JsonCodec<QueryCompletedEvent>` (plugin/trino-http-event-listener, `HttpEventListener`,
 * `HttpEventListenerFactory` binding airlift's `JsonModule`). How that codec writes values comes from
 * airlift's `ObjectMapperProvider`:
 *
 * - `Instant`s (createTime, executionStartTime, endTime) are ISO-8601 strings in UTC
 *   (`WRITE_DATES_AS_TIMESTAMPS` is disabled), e.g. `2026-12-01T08:15:02.125Z`, with 0, 3, 6 or 9
 *   fraction digits.
 * - `java.time.Duration`s (cpuTime, wallTime, queuedTime, ...) are decimal seconds as JSON numbers
 *   (Jackson 2's `WRITE_DURATIONS_AS_TIMESTAMPS` and `WRITE_DATE_TIMESTAMPS_AS_NANOSECONDS` defaults),
 *   e.g. `12.345000000`; Jackson 3 writes them as ISO-8601 durations (`PT12.345S`), which are
 *   accepted too, so that an engine upgrade does not stop the records.
 * - `Optional.empty()` fields are left out (`Include.NON_ABSENT`), never `null`.
 * - Only `@JsonProperty` getters are written, under their bean names (`getResourceWaitingTime` is
 *   `resourceWaitingTime`, `isComplete` is `complete`).
 *
 * The SPI says serialization compatibility is not guaranteed across versions, and every release
 * adds fields: only the fields SICI reads are checked, and every other field is let through
 * unread, at every level. What is checked is bounded, so that a record always fits its item.
 */

/** Seconds as a JSON number (Jackson 2) or an ISO-8601 duration such as `PT1M2.5S` (Jackson 3), as milliseconds. */
export const TrinoDuration = z
  .union([
    z.number().nonnegative().max(10 * 365 * 86_400),
    z.string().regex(/^PT(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d{1,9})?S)?$/, 'an ISO-8601 duration such as PT12.345S'),
  ])
  .transform((value) => (typeof value === 'number' ? Math.round(value * 1000) : isoDurationMs(value)))
  .meta({ description: 'A java.time.Duration: decimal seconds (e.g. 12.345000000) or ISO-8601 (PT12.345S)' });

function isoDurationMs(text: string): number {
  const [, hours = '0', minutes = '0', seconds = '0'] = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?$/.exec(text)!;
  return (Number(hours) * 3600 + Number(minutes) * 60) * 1000 + Math.round(Number(seconds) * 1000);
}

/** A java.time.Instant as the codec writes it: ISO-8601, UTC. */
const TrinoInstant = z.iso.datetime({ offset: false }).meta({ description: 'A java.time.Instant, ISO-8601 in UTC' });

/** A `long` counter of the statistics (bytes, rows). */
const Counter = z.number().int().nonnegative();

/** An optional text of the context (user, source, catalog, ...): bounded so that a record always fits its item. */
const Name = z.string().max(1024);

/** `io.trino.spi.eventlistener.QueryMetadata` (the fields SICI reads). */
const QueryMetadata = z.looseObject({
  /** `io.trino.spi.QueryId`: `<yyyyMMdd_HHmmss>_<counter>_<coordinator id>`. */
  queryId: QueryId,
  /** The query text, whole (a record keeps its first QUERY_TEXT_MAX_CHARACTERS). */
  query: z.string(),
  /** A completed query is FINISHED or FAILED (a canceled one is FAILED with USER_CANCELED). */
  queryState: z.enum(['FINISHED', 'FAILED']),
});

/** `io.trino.spi.eventlistener.QueryStatistics` (the fields SICI reads). */
const QueryStatistics = z.looseObject({
  cpuTime: TrinoDuration,
  wallTime: TrinoDuration,
  queuedTime: TrinoDuration,
  peakUserMemoryBytes: Counter,
  physicalInputBytes: Counter,
  physicalInputRows: Counter,
  outputBytes: Counter,
});

/** `io.trino.spi.eventlistener.QueryContext` (the fields SICI reads). */
const QueryContext = z.looseObject({
  /** The user the query ran as (after impersonation). */
  user: Name.min(1),
  /** The authenticated principal, when there was one. */
  principal: Name.optional(),
  /** The client (`trino-cli`, `trino-jdbc`, ...). */
  source: Name.optional(),
  catalog: Name.optional(),
  schema: Name.optional(),
});

/** `io.trino.spi.eventlistener.QueryFailureInfo` with its `io.trino.spi.ErrorCode` (the fields SICI reads). */
const QueryFailureInfo = z.looseObject({
  errorCode: z.looseObject({
    code: z.number().int().nonnegative(),
    name: z.string().min(1).max(256),
    /** `io.trino.spi.ErrorType`: USER_ERROR, INTERNAL_ERROR, INSUFFICIENT_RESOURCES or EXTERNAL. */
    type: z.string().min(1).max(64),
  }),
});

export const QueryCompletedEvent = z
  .looseObject({
    metadata: QueryMetadata,
    statistics: QueryStatistics,
    context: QueryContext,
    failureInfo: QueryFailureInfo.optional(),
    createTime: TrinoInstant,
    executionStartTime: TrinoInstant,
    endTime: TrinoInstant,
  })
  .superRefine((event, ctx) => {
    if (Date.parse(event.endTime) < Date.parse(event.createTime)) {
      ctx.addIssue({ code: 'custom', path: ['endTime'], message: 'must not be before createTime' });
    }
  })
  .meta({ id: 'QueryCompletedEvent', description: "Trino's QueryCompletedEvent as its http event listener posts it (fields SICI does not read are accepted and ignored)" });
export type QueryCompletedEvent = z.output<typeof QueryCompletedEvent>;

export const IngestAnswer = z
  .strictObject({
    queryId: z.string(),
    counted: z.boolean().meta({ description: 'false when the event was a replay of one already counted' }),
  })
  .meta({ id: 'IngestAnswer' });

/** The largest event the ingest route takes: a query text of Trino's default `query.max-length` (1,000,000 characters) with its plan and operator summaries. */
export const INGEST_EVENT_MAX_BYTES = 4 * 1024 * 1024;
