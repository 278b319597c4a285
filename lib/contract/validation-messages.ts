import * as z from 'zod';

/**
 * How SICI words a value that fails its schema, wherever it is reported: the `errors` of an API
 * problem (lambda/core/problems.ts) and the lines of a refused document (./documents.ts: the
 * platform configuration, a TenantSpec, an access document). Both go through `fieldErrors`, and
 * importing this module installs `validationMessage` as zod's error map for every schema that says
 * nothing of its own, so that:
 *
 * - an absent field is `required, <what it takes>`, e.g. `required, a 12-digit AWS account id` or
 *   `required, one of "S", "M" or "L"`, never "Invalid option" or "expected string, received
 *   undefined" (a document parsed from JSON has no `undefined` value: undefined is an absent member);
 * - a value of the wrong JSON type says what the field takes and what it got, e.g.
 *   `a 12-digit AWS account id, not a number`;
 * - a value outside an enumeration lists the values, e.g. `one of "dev", "test" or "prod"`.
 *
 * What the field takes is the message of its schema's first pattern that has one (a schema's
 * `.regex(pattern, 'an AWS region such as us-east-1')` says what it expects), else its string
 * format, the values of an enumeration, an example from its metadata, or else its JSON type. Every
 * other issue keeps the message its schema gives, or zod's. A schema whose own `error` is a fixed
 * text outranks this map: give it `expecting(text)` instead, which says `required, text` when the
 * field is absent.
 */

export type FieldError = { field: string; message: string };

/** The field errors of a refused value: each issue's path (after `where`, if given, e.g. `body`) and message. */
export function fieldErrors(issues: readonly z.core.$ZodIssue[], where?: string): FieldError[] {
  return issues.map((issue) => ({ field: [...(where ? [where] : []), ...issue.path.map(String)].join('.'), message: issue.message }));
}

/** What an absent field is told. */
export const requiredMessage = (expected: string | undefined) => (expected ? `required, ${expected}` : 'required');

/** An error map for a schema's own `error` parameter: `text`, or `required, text` when the field is absent. */
export const expecting =
  (text: string): z.core.$ZodErrorMap =>
  (issue) =>
    issue.input === undefined ? requiredMessage(text) : text;

/** zod's error map for SICI: the message of an issue, or undefined to leave it to zod. */
export function validationMessage(issue: z.core.$ZodRawIssue): string | undefined {
  const absent = issue.input === undefined;
  switch (issue.code) {
    case 'invalid_type': {
      const expected = expectationOf(schemaOf(issue), issue) ?? typeNoun(issue.expected);
      return absent ? requiredMessage(expected) : `${expected}, not ${jsonKind(issue.input)}`;
    }
    case 'invalid_value':
      return absent ? requiredMessage(oneOf(issue.values)) : oneOf(issue.values);
    case 'invalid_union':
      return absent ? requiredMessage(expectationOf(schemaOf(issue), issue)) : undefined;
    default:
      return undefined;
  }
}

z.config({ customError: validationMessage });

/** The schema that raised an issue of its own (a string format such as `z.url()` is a schema and a check at once). */
function schemaOf(issue: z.core.$ZodRawIssue): z.core.$ZodType | undefined {
  const inst = issue.inst as z.core.$ZodType | undefined;
  return inst?._zod.traits.has('$ZodType') ? inst : undefined;
}

/** String formats of zod that SICI's schemas use, in words. */
const FORMATS: ReadonlyMap<string, string> = new Map([
  ['url', 'a URL'],
  ['cidrv4', 'an IPv4 CIDR block such as 10.0.0.0/16'],
  ['datetime', 'a UTC time in ISO 8601, such as 2026-11-22T08:00:00.000Z'],
]);

/** What a schema takes, in words: its first check's own message, its string format, or the values it admits. */
function expectationOf(schema: z.core.$ZodType | undefined, issue: z.core.$ZodRawIssue): string | undefined {
  if (!schema) return undefined;
  const def = schema._zod.def as z.core.$ZodTypeDef & { format?: string };
  // A pattern's message says what the value looks like; a refinement's says what went wrong with one.
  for (const check of def.checks ?? []) {
    const message = check._zod.def.check === 'string_format' ? unwrap(check._zod.def.error?.(issue as never)) : undefined;
    if (message) return message;
  }
  const format = def.format === undefined ? undefined : FORMATS.get(def.format);
  if (format) return format;
  const values = admittedValues(schema);
  if (values) return oneOf(values);
  const example = (z.globalRegistry.get(schema) as { example?: unknown } | undefined)?.example;
  if (example !== undefined && (def.type === 'array' || def.type === 'object')) return `${typeNoun(def.type)} such as ${JSON.stringify(example)}`;
  return undefined;
}

/** The values an enumeration, a literal, or a union of them admits. */
function admittedValues(schema: z.core.$ZodType): unknown[] | undefined {
  const def = schema._zod.def as z.core.$ZodTypeDef & { entries?: Record<string, unknown>; values?: unknown[]; options?: z.core.$ZodType[] };
  if (def.type === 'enum' && def.entries) return Object.values(def.entries);
  if (def.type === 'literal' && def.values) return def.values;
  if (def.type === 'union' && def.options) {
    const each = def.options.map(admittedValues);
    return each.every((values) => values !== undefined) ? each.flat() : undefined;
  }
  return undefined;
}

function unwrap(message: ReturnType<z.core.$ZodErrorMap> | undefined): string | undefined {
  if (message === null || message === undefined) return undefined;
  return typeof message === 'string' ? message : message.message;
}

/** `one of "a", "b" or "c"`, or the one value. */
function oneOf(values: readonly unknown[]): string {
  const shown = values.map((value) => JSON.stringify(value) ?? String(value));
  if (shown.length === 1) return shown[0];
  return `one of ${shown.slice(0, -1).join(', ')} or ${shown[shown.length - 1]}`;
}

/** A JSON type as an expectation. */
function typeNoun(type: string): string {
  switch (type) {
    case 'int':
      return 'an integer';
    case 'boolean':
      return 'true or false';
    case 'array':
    case 'tuple':
      return 'an array';
    case 'object':
    case 'record':
    case 'map':
      return 'an object';
    case 'null':
      return 'null';
    default:
      return `a ${type}`;
  }
}

/** What a JSON value is. */
function jsonKind(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  switch (typeof input) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'an object';
    default:
      return typeof input;
  }
}
