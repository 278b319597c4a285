import { readFileSync } from 'node:fs';
import type * as z from 'zod';

/** One line per problem, each naming the field by its path and what was expected there. */
export function describeIssues(issues: z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`);
}

/** A JSON document that could not be read or does not match its schema. */
export class DocumentError extends Error {
  constructor(
    readonly source: string,
    readonly kind: string,
    readonly problems: string[],
  ) {
    super(`${source} is not a valid ${kind}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = new.target.name;
  }
}

/** Validates a parsed document with `schema`, failing with `fail(problems)`. */
export function parseDocument<S extends z.ZodType>(schema: S, document: unknown, fail: (problems: string[]) => DocumentError): z.infer<S> {
  const result = schema.safeParse(document);
  if (!result.success) throw fail(describeIssues(result.error.issues));
  return result.data;
}

/** Reads a JSON file and hands the document to `parse`; unreadable or non-JSON files fail with `fail`. */
export function loadJsonDocument<T>(file: string, parse: (document: unknown) => T, fail: (problems: string[]) => DocumentError): T {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw fail([`cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`]);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw fail([`is not JSON: ${(error as Error).message}`]);
  }
  return parse(document);
}
