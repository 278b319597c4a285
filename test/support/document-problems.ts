import { DocumentError } from '../../lib/contract/documents';

/** The problems a document parser reports for a document it refuses, checking that it is a `DocumentError` of `kind`. */
export function documentProblems(parse: () => unknown, kind: string): string[] {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(DocumentError);
    expect((error as DocumentError).kind).toBe(kind);
    return (error as DocumentError).problems;
  }
  throw new Error(`expected the ${kind} to be refused`);
}
