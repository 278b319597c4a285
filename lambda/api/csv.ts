/**
 * CSV as SICI answers it (RFC 4180): a header row, then the rows, each line ending with CRLF; a
 * field with a comma, a quote or a line break is quoted, its quotes doubled. A text a spreadsheet
 * would run as a formula (starting with =, +, -, @, a tab or a carriage return: texts a client chose
 * reach the audit trail) is prefixed with a single quote first; numbers are written as they are.
 */
export type CsvValue = string | number | undefined;

const field = (value: CsvValue) => {
  if (value === undefined) return '';
  const text = typeof value === 'number' ? String(value) : /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

export function csvTable(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  return [header, ...rows].map((row) => `${row.map(field).join(',')}\r\n`).join('');
}
