/** A request and answer as the handlers see them: the same behind API Gateway and the local server. */
export interface ApiRequest {
  method: string;
  /** The path without query string, e.g. `/clusters/c-…`. */
  path: string;
  /**
   * Every value of every query parameter, decoded. The names are the client's: read it with
   * `Object.entries` or after a schema, never by a name the client chose (the local server builds
   * it without a prototype, so `query['constructor']` is only what was sent).
   */
  query: Record<string, string[]>;
  /** Header names in lower case; the repeated ones joined with `, `. Client-chosen names, as for `query`. */
  headers: Record<string, string>;
  /** The body as UTF-8 text (the local server refuses a body that is not valid UTF-8 with 400). */
  body?: string;
  /** The authenticated IAM principal (API Gateway's `userArn`), if any. */
  principalArn?: string;
  sourceIp: string;
  requestId: string;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export const MAX_BODY_BYTES = 64 * 1024;
