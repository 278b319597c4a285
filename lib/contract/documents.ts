import { readFileSync } from 'node:fs';
import type * as z from 'zod';
import { fieldErrors } from './validation-messages';

/**
 * The one way SICI reports a document that fails its schema (the platform configuration, a
 * TenantSpec, an access document): a `DocumentError` naming the document, its kind, and one line
 * per problem with the field's path and what was expected there.
 */

/** What a document is, for its error messages: e.g. `{ kind: 'SICI TenantSpec', source: 'spec.json' }`. */
export interface DocumentName {
  readonly kind: string;
  readonly source: string;
}

/** One line per problem, each naming the field by its path and what was expected there (worded by ./validation-messages). */
export function describeIssues(issues: z.core.$ZodIssue[]): string[] {
  return fieldErrors(issues).map(({ field, message }) => `${field || '(root)'}: ${message}`);
}

/** A JSON document that could not be read or does not match its schema. */
export class DocumentError extends Error {
  readonly source: string;
  readonly kind: string;

  constructor(
    name: DocumentName,
    readonly problems: string[],
  ) {
    super(`${name.source} is not a valid ${name.kind}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'DocumentError';
    this.source = name.source;
    this.kind = name.kind;
  }
}

/** Validates a parsed document with `schema`, or throws a `DocumentError`. */
export function parseDocument<S extends z.ZodType>(schema: S, document: unknown, name: DocumentName): z.output<S> {
  const result = schema.safeParse(document);
  if (!result.success) throw new DocumentError(name, describeIssues(result.error.issues));
  return result.data;
}

/** Reads a JSON file and validates it with `schema`; an unreadable or non-JSON file is a `DocumentError` too. */
export function loadDocument<S extends z.ZodType>(file: string, schema: S, kind: string): z.output<S> {
  const name = { kind, source: file };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new DocumentError(name, [`cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`]);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new DocumentError(name, [`is not JSON: ${(error as Error).message}`]);
  }
  return parseDocument(schema, document, name);
}
