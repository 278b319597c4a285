/**
 * The hours usage is counted in: UTC hours, named `YYYY-MM-DDTHH` (the sort key of a window), and
 * the day and month each belongs to.
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** The hour `time` falls in, e.g. `2026-12-01T08` for 08:59:59.999Z; an instant on the hour starts its hour. */
export const hourOf = (time: number | string | Date): string => new Date(time).toISOString().slice(0, 13);

/** The first instant of an hour name. */
export const hourStart = (hour: string): number => Date.parse(`${hour}:00:00.000Z`);

/** The first hour that starts at or after `time`. */
export const firstHourFrom = (time: number): string => hourOf(Math.ceil(time / HOUR_MS) * HOUR_MS);

/** The last hour that starts before `time`. */
export const lastHourBefore = (time: number): string => hourOf(Math.ceil(time / HOUR_MS) * HOUR_MS - HOUR_MS);

/** The hours from `first` to `last`, both included. */
export function hoursBetween(first: string, last: string): string[] {
  const hours: string[] = [];
  for (let time = hourStart(first); time <= hourStart(last); time += HOUR_MS) hours.push(hourOf(time));
  return hours;
}

export type Granularity = 'hour' | 'day' | 'month';

/** The window of `granularity` an hour belongs to: its start and end, as ISO instants. */
export function windowOf(hour: string, granularity: Granularity): { start: string; end: string } {
  const start = new Date(hourStart(hour));
  if (granularity !== 'hour') start.setUTCHours(0);
  if (granularity === 'month') start.setUTCDate(1);
  const end = new Date(start);
  if (granularity === 'hour') end.setUTCHours(end.getUTCHours() + 1);
  else if (granularity === 'day') end.setUTCDate(end.getUTCDate() + 1);
  else end.setUTCMonth(end.getUTCMonth() + 1);
  return { start: start.toISOString(), end: end.toISOString() };
}

/** The first and the last hour of a month `YYYY-MM`. */
export function hoursOfMonth(month: string): { first: string; last: string } {
  const start = Date.parse(`${month}-01T00:00:00.000Z`);
  const next = new Date(start);
  next.setUTCMonth(next.getUTCMonth() + 1);
  return { first: hourOf(start), last: hourOf(next.getTime() - HOUR_MS) };
}
