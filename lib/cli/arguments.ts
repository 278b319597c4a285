import { InvalidArgumentError, type Command } from 'commander';

/**
 * Parsers for option values (a bad value is a usage error, exit 2, before anything is sent) and the
 * examples every command's `--help` ends with. The values themselves (tiers, environments, ids)
 * are the API's to judge: it answers with the field that is wrong.
 */

/** `--limit 10`: an integer from 1 to 100 (the API's page sizes). */
export function pageSize(value: string): number {
  if (!/^\d{1,3}$/.test(value) || Number(value) < 1 || Number(value) > 100) throw new InvalidArgumentError('a whole number from 1 to 100');
  return Number(value);
}

/** A whole number of at least 0. */
export function count(value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw new InvalidArgumentError('a whole number');
  return Number(value);
}

/** A repeatable option: each use adds one value, as given (S3 prefixes and IAM names may hold commas). */
export function repeatable(value: string, previous: string[] | undefined): string[] {
  if (value === '') throw new InvalidArgumentError('a value');
  return [...(previous ?? []), value];
}

/** A list option: values separated by commas (`--tiers S,M`), and the option may be repeated. */
export function list(value: string, previous: string[] | undefined): string[] {
  const values = value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (values.length === 0) throw new InvalidArgumentError('one or more values separated by commas');
  return [...(previous ?? []), ...values];
}

/** `--from 2026-11-01` means midnight UTC; a full ISO 8601 time is sent as given. */
export function time(value: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return `${value}T00:00:00.000Z`;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z$/.test(value)) {
    throw new InvalidArgumentError('a UTC date (2026-11-01) or time (2026-11-01T08:00:00Z)');
  }
  return /T\d{2}:\d{2}Z$/.test(value) ? value.replace(/Z$/, ':00Z') : value;
}

/** `YYYY-MM`. */
export function month(value: string): string {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(value)) throw new InvalidArgumentError('a month such as 2026-11');
  return value;
}

/** `--group lake-analysts=reader`, repeatable. */
export function group(value: string, previous: { name: string; role: string }[] | undefined): { name: string; role: string }[] {
  // A group name may hold '=' (the identity provider's names are the API's to judge); a role never does.
  const at = value.lastIndexOf('=');
  if (at <= 0 || at === value.length - 1) throw new InvalidArgumentError('NAME=ROLE, e.g. lake-analysts=reader (roles: reader, writer, admin)');
  return [...(previous ?? []), { name: value.slice(0, at), role: value.slice(at + 1) }];
}

/** Ends a command's --help with examples (each line a command as typed). */
export function withExamples<C extends Command>(command: C, ...lines: string[]): C {
  command.addHelpText('after', `\nExamples:\n${lines.map((line) => (line.startsWith('#') ? `  ${line}` : `  $ ${line}`)).join('\n')}\n`);
  return command;
}
