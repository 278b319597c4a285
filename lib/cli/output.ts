import { clean } from './problem';

/**
 * How answers are printed: `--output json` prints the API's document as it came (indented), for
 * scripts; `--output table` (the default) prints lists as aligned columns and single documents as
 * `label  value` lines, for people. Text from the API is cleaned of control characters.
 */

export const OUTPUT_FORMATS = ['table', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export type Cell = string | number | boolean | null | undefined;

export interface Column<T> {
  readonly header: string;
  readonly value: (item: T) => Cell;
  /** Cut longer values to this many characters (with …). */
  readonly max?: number;
  /** Right-aligned (numbers). */
  readonly right?: boolean;
}

export const renderJson = (document: unknown): string => `${JSON.stringify(document, null, 2)}\n`;

const cellText = (value: Cell): string => (value === undefined || value === null || value === '' ? '-' : clean(String(value)));

const cut = (text: string, max?: number) => (max !== undefined && text.length > max ? `${text.slice(0, Math.max(1, max - 1))}…` : text);

/** Rows under a header line, columns separated by two spaces; `(none)` for no rows. */
export function renderTable<T>(items: readonly T[], columns: readonly Column<T>[], footer?: readonly Cell[]): string {
  if (items.length === 0) return '(none)\n';
  const rows = items.map((item) => columns.map((column) => cut(cellText(column.value(item)), column.max)));
  if (footer) rows.push(columns.map((column, i) => cut(cellText(footer[i]), column.max)));
  const widths = columns.map((column, i) => Math.max(column.header.length, ...rows.map((row) => row[i].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (columns[i].right ? cell.padStart(widths[i]) : i === cells.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return `${[line(columns.map((column) => column.header)), ...rows.map(line)].join('\n')}\n`;
}

/** `label  value` lines, labels aligned; fields whose value is `undefined` are left out. */
export function renderFields(fields: readonly (readonly [string, Cell])[]): string {
  const shown = fields.filter(([, value]) => value !== undefined);
  const width = Math.max(0, ...shown.map(([label]) => label.length));
  return `${shown.map(([label, value]) => `${label.padEnd(width)}  ${cellText(value)}`.trimEnd()).join('\n')}\n`;
}

/** `2026-11-22T08:00:00.000Z` → `2026-11-22 08:00:00Z`. */
export function formatTime(iso: string | undefined): string | undefined {
  if (iso === undefined) return undefined;
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?Z$/.exec(iso);
  return match ? `${match[1]} ${match[2]}Z` : iso;
}

/** Milliseconds as `850ms`, `12.3s`, `4m05s`, `2h03m`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

/** Bytes in binary units: `0 B`, `1.5 KiB`, `12.0 GiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** `{ currency: 'USD', amount: 12.3456 }` → `12.35 USD` (cents; amounts under a cent keep 6 decimals). */
export function formatMoney(money: { readonly currency: string; readonly amount: number } | undefined): string | undefined {
  if (!money) return undefined;
  const digits = money.amount !== 0 && Math.abs(money.amount) < 0.01 ? 6 : 2;
  return `${money.amount.toFixed(digits)} ${money.currency}`;
}

/** A number with at most `digits` decimals, without trailing zeros: 1.50 → `1.5`. */
export const formatNumber = (value: number, digits = 2): string => String(Number(value.toFixed(digits)));

export const joinList = (values: readonly string[] | undefined): string | undefined => (values && values.length > 0 ? values.join(',') : undefined);
