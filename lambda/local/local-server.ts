import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ApiRequest, ApiResponse } from '../api/http';
import { MAX_BODY_BYTES } from '../api/http';
import { problemResponse } from '../api/router';
import { payloadTooLarge, ProblemError } from '../core/problems';
import { verifySigV4, type LocalIdentity } from './sigv4-verifier';

/**
 * The local stand-in for API Gateway: an HTTP server on loopback that authenticates every request
 * with SigV4 (refusing unsigned or badly signed ones with 403 before any handler runs, as AWS_IAM
 * authorization does) and hands the rest to the same router the Lambdas use.
 */
export function createLocalServer(identities: ReadonlyMap<string, LocalIdentity>, route: (request: ApiRequest) => Promise<ApiResponse>): Server {
  return createServer((req, res) => void serve(req, res));

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const headers = Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(',') : (value ?? '')]));
    const query: Record<string, string[]> = {};
    for (const [name, value] of url.searchParams) (query[name] ??= []).push(value);

    let response: ApiResponse;
    const body = await readBody(req, MAX_BODY_BYTES);
    if (body === undefined) {
      response = problemResponse(payloadTooLarge(MAX_BODY_BYTES), { path: url.pathname, requestId });
    } else {
      const verification = await verifySigV4({ method: req.method ?? 'GET', path: url.pathname, query, headers, body }, identities);
      response = verification.ok
        ? await route({
            method: req.method ?? 'GET',
            path: url.pathname,
            query,
            headers,
            body,
            principalArn: verification.principalArn,
            sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
            requestId,
          })
        : problemResponse(new ProblemError(403, 'unauthenticated', 'Forbidden', verification.message), { path: url.pathname, requestId });
    }
    res.writeHead(response.status, { ...response.headers, 'content-length': Buffer.byteLength(response.body) });
    res.end(response.body);
  }
}

/** The body as text, or undefined when it exceeds `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
