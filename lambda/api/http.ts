/** A request and answer as the handlers see them: the same behind API Gateway and the local server. */
export interface ApiRequest {
  method: string;
  /** The path without query string, e.g. `/clusters/c-…`. */
  path: string;
  /** Every value of every query parameter, decoded. */
  query: Record<string, string[]>;
  /** Header names in lower case. */
  headers: Record<string, string>;
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
