import { DEFAULT_USAGE_RANGE_DAYS, MAX_USAGE_RANGE_DAYS, type UsageQuery } from '../../lib/contract/usage';
import { badRequest } from './problems';
import { DAY_MS, firstHourFrom, lastHourBefore } from './usage-hours';

/** The range of a usage query: its bounds, and the hours that start in it (first > last when none does). */
export interface UsageRange {
  readonly from: string;
  readonly to: string;
  readonly firstHour: string;
  readonly lastHour: string;
}

/**
 * The range a usage query asks for, with its defaults (`to`: now; `from`: 30 days before `to`):
 * `from` must come before `to`, and the range may span at most the granularity's maximum (400 days
 * of days, say). A bad range is a 400 naming the field.
 */
export function usageRange(query: UsageQuery, now: Date): UsageRange {
  const to = query.to ? Date.parse(query.to) : now.getTime();
  const from = query.from ? Date.parse(query.from) : to - DEFAULT_USAGE_RANGE_DAYS * DAY_MS;
  // Only a `from` that was given can be at or after `to` (the default is 30 days before it).
  if (from >= to) throw badRequest('The range is empty: from must come before to.', [{ field: 'query.from', message: 'must be before to' }]);
  const maxDays = MAX_USAGE_RANGE_DAYS[query.granularity];
  if (to - from > maxDays * DAY_MS) {
    const field = query.to ? 'query.to' : 'query.from';
    throw badRequest(`A range at granularity ${query.granularity} spans at most ${maxDays} days.`, [
      { field, message: `at most ${maxDays} days after from at granularity ${query.granularity}` },
    ]);
  }
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), firstHour: firstHourFrom(from), lastHour: lastHourBefore(to) };
}
