import { randomUUID } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ROUTES, type RouteDefinition } from '../../lib/contract/routes';
import type { ApiRequest, ApiResponse } from '../api/http';
import { MAX_BODY_BYTES } from '../api/http';
import { problemResponse } from '../api/router';
import { badRequest, internalError, payloadTooLarge, ProblemError } from '../core/problems';
import { verifySigV4, type LocalIdentity } from './sigv4-verifier';

export interface LocalServerOptions {
  /**
   * Receives one line per request: a JSON object with the fields of API Gateway's access log as
   * SICI's REST API configures it (`accessLogFormat` in lib/control-plane/rest-api.ts), every value
   * a string as API Gateway writes them, `-` where there is none, plus `path`.
   * @default no access log
   */
  readonly accessLog?: (line: string) => void;
  /** Receives the server's own failures (never a client's mistakes). @default none */
  readonly warn?: (message: string) => void;
  /** Time a client has to send a whole request, body included (408, then closed). @default 30 s */
  readonly requestTimeoutMs?: number;
  /** Time a client has to send the request line and headers (408, then closed); at most `requestTimeoutMs`. @default 10 s */
  readonly headersTimeoutMs?: number;
  /** How often the two timeouts are checked. @default 1 s */
  readonly timeoutCheckIntervalMs?: number;
  /** Request line and headers together, in bytes (431). @default 16 KiB */
  readonly maxHeaderBytes?: number;
  /** Header fields (431). @default 100 */
  readonly maxHeaderCount?: number;
  /** The request target: path and query string (414). @default 8 KiB */
  readonly maxUrlBytes?: number;
  /** The body of a route without a limit of its own (413, answered as soon as the declared length or the bytes received exceed it). @default MAX_BODY_BYTES */
  readonly maxBodyBytes?: number;
}

type Limits = Required<Omit<LocalServerOptions, 'accessLog' | 'warn'>>;

export const DEFAULT_LOCAL_SERVER_LIMITS: Limits = {
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  timeoutCheckIntervalMs: 1_000,
  maxHeaderBytes: 16 * 1024,
  maxHeaderCount: 100,
  maxUrlBytes: 8 * 1024,
  maxBodyBytes: MAX_BODY_BYTES,
};

/** What the access log knows of a request when its answer is sent. */
interface Exchange {
  requestId: string;
  started: number;
  ip: string;
  method?: string;
  path?: string;
  protocol?: string;
  accessKeyId?: string;
  principalArn?: string;
}

/**
 * The local stand-in for API Gateway: an HTTP server on loopback that authenticates every request
 * with SigV4 (refusing unsigned or badly signed ones with 403 before any handler runs, as AWS_IAM
 * authorization does), except on the engines' ingest route, which the router authenticates by the
 * cluster's bearer token as in AWS, and hands the rest to the same router the Lambdas use. Like the gateway, it
 * holds the line for the handlers: every request is answered with problem+json (or its connection
 * closed when no answer can be sent), within limits of size and time, and no client input can
 * stop it.
 */
export function createLocalServer(
  identities: ReadonlyMap<string, LocalIdentity>,
  route: (request: ApiRequest) => Promise<ApiResponse>,
  options: LocalServerOptions = {},
): Server {
  const limits = Object.fromEntries(
    Object.entries(DEFAULT_LOCAL_SERVER_LIMITS).map(([name, value]) => [name, options[name as keyof Limits] ?? value]),
  ) as Limits;
  const warn = options.warn ?? (() => undefined);
  const accessLog = (line: string) => {
    try {
      options.accessLog?.(line);
    } catch (error) {
      warn(`access log not written: ${describeError(error)}`);
    }
  };

  const server = createServer({
    maxHeaderSize: limits.maxHeaderBytes,
    requestTimeout: limits.requestTimeoutMs,
    headersTimeout: limits.headersTimeoutMs,
    connectionsCheckingInterval: limits.timeoutCheckIntervalMs,
  });
  // Node drops the header fields past this count without a word: keep one more, to see the excess.
  server.maxHeadersCount = limits.maxHeaderCount + 1;

  // The request being read or answered on a socket, told of that socket's errors: a timeout, a
  // malformed or broken body, a reset. Node reports them as 'clientError', not to the request.
  const inFlight = new WeakMap<Duplex, (error: Error) => void>();

  const serving = (expectsContinue: boolean, refusal?: ProblemError) => (req: IncomingMessage, res: ServerResponse) =>
    void serve(req, res, expectsContinue, refusal).catch((error: unknown) => {
      warn(`request not answered: ${describeError(error)}`);
      req.socket.destroy();
    });
  server.on('request', serving(false));
  // Expect: 100-continue is answered only once the request is within its limits.
  server.on('checkContinue', serving(true));
  server.on('checkExpectation', serving(false, new ProblemError(417, 'expectation-failed', 'Expectation failed', 'Only Expect: 100-continue is supported.')));
  server.on('connect', (req: IncomingMessage, socket: Duplex) =>
    refuseConnection(socket, exchangeOf(socket, req), new ProblemError(405, 'method-not-allowed', 'Method not allowed', 'CONNECT is not a method of this API.')),
  );
  server.on('clientError', (error: Error, socket: Duplex) => {
    const fail = inFlight.get(socket);
    if (fail) fail(error);
    else refuseConnection(socket, exchangeOf(socket), clientProblem(error, limits));
  });
  return server;

  /** Every error of a request ends in an answer, or (for a defect of the server) a closed connection. */
  async function serve(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean, refusal?: ProblemError): Promise<void> {
    const exchange = exchangeOf(req.socket, req);
    let broken: Error | undefined;
    let rejectBody: (error: Error) => void = () => undefined;
    const fail = (error: Error) => {
      broken ??= error;
      rejectBody(error);
    };
    inFlight.set(req.socket, fail);

    // An answer given before the whole body is read closes the connection: the rest is never read.
    let close = true;
    let response: ApiResponse;
    let errorMessage: string | undefined;
    try {
      if (refusal) throw refusal;
      const { path, query } = admit(req, limits);
      exchange.path = path;
      const method = routeOf(req.method ?? 'GET', path);
      const maxBodyBytes = method?.maxBodyBytes ?? limits.maxBodyBytes;
      const declared = req.headers['content-length'];
      if (declared !== undefined && Number(declared) > maxBodyBytes) throw payloadTooLarge(maxBodyBytes);
      const headers = headersOf(req);
      if (expectsContinue) res.writeContinue();
      const body = await new Promise<Buffer>((resolve, reject) => {
        rejectBody = reject;
        readBody(req, maxBodyBytes, resolve, reject);
      });
      close = false;

      // A cluster's engine is authenticated by its bearer token (the router checks it), not SigV4:
      // in AWS, that method has no IAM authorization.
      if (method?.access !== 'cluster') {
        const verification = verifySigV4({ method: req.method ?? 'GET', path, query, headers, body }, identities);
        if (!verification.ok) throw new ProblemError(403, 'unauthenticated', 'Forbidden', verification.message);
        exchange.accessKeyId = verification.accessKeyId;
        exchange.principalArn = verification.principalArn;
      }
      const request: ApiRequest = {
        method: req.method ?? 'GET',
        path,
        query: recordOf(query),
        headers: recordOf([...headers].map(([name, values]) => [name, values.join(', ')] as const)),
        body: decodeUtf8(body),
        principalArn: exchange.principalArn,
        sourceIp: exchange.ip,
        requestId: exchange.requestId,
      };
      response = await route(request);
    } catch (error) {
      const problem = problemOf(error, limits, warn);
      errorMessage = problem.detail;
      response = problemResponse(problem, { path: exchange.path ?? '', requestId: exchange.requestId });
    }
    try {
      send(res, response, close || broken !== undefined);
    } catch (error) {
      // The router's headers could not be written (a defect): the answer becomes a 500.
      warn(`answer not sent: ${describeError(error)}`);
      response = problemResponse(internalError(), { path: exchange.path ?? '', requestId: exchange.requestId });
      send(res, response, true);
    } finally {
      if (inFlight.get(req.socket) === fail) inFlight.delete(req.socket);
    }
    accessLog(accessLogLine(exchange, response, errorMessage));
  }

  function refuseConnection(socket: Duplex, exchange: Exchange, problem: ProblemError): void {
    const response = problemResponse(problem, { path: '', requestId: exchange.requestId });
    // A client that has gone (a reset) cannot be answered; Node leaves a CONNECT's socket without this.
    socket.on('error', () => undefined);
    if (socket.writable) socket.end(rawResponse(response), () => socket.destroy());
    else socket.destroy();
    accessLog(accessLogLine(exchange, response, problem.detail));
  }
}

/**
 * Keeps the process serving when an error escapes every handler (which is a defect: it is logged
 * so that it gets fixed). Returns the function that removes the guard.
 */
export function guardProcess(log: (line: string) => void): () => void {
  const report = (error: unknown) => log(`error outside any request, the server keeps serving: ${describeError(error)}`);
  process.on('uncaughtException', report);
  process.on('unhandledRejection', report);
  return () => {
    process.off('uncaughtException', report);
    process.off('unhandledRejection', report);
  };
}

const describeError = (error: unknown) => String((error as Error | null)?.stack ?? error);

/** Checks the limits and forms that apply before the body is read; returns the parsed target. */
function admit(req: IncomingMessage, limits: Limits): { path: string; query: Map<string, string[]> } {
  if (req.rawHeaders.length / 2 > limits.maxHeaderCount) {
    throw new ProblemError(431, 'header-fields-too-large', 'Request header fields too large', `The request has more than ${limits.maxHeaderCount} header fields.`);
  }
  const target = req.url ?? '';
  if (Buffer.byteLength(target) > limits.maxUrlBytes) {
    throw new ProblemError(414, 'uri-too-long', 'URI too long', `The request target (path and query string) exceeds ${limits.maxUrlBytes} bytes.`);
  }
  const parsed = parseTarget(target);
  if (!parsed) throw badRequest('The request target must be a path, such as /clusters?limit=10 (absolute URLs, authorities and * are not accepted).');
  return parsed;
}

/** An origin-form target (RFC 9112 §3.2.1): the path as sent and the decoded query; undefined for any other form. */
function parseTarget(target: string): { path: string; query: Map<string, string[]> } | undefined {
  if (!target.startsWith('/')) return undefined;
  const mark = target.indexOf('?');
  const query = new Map<string, string[]>();
  if (mark >= 0) {
    for (const [name, value] of new URLSearchParams(target.slice(mark + 1))) {
      const values = query.get(name);
      if (values) values.push(value);
      else query.set(name, [value]);
    }
  }
  return { path: mark >= 0 ? target.slice(0, mark) : target, query };
}

/** Every header field received, by lower-case name (Node's `req.headers` drops some duplicates). */
function headersOf(req: IncomingMessage): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i].toLowerCase();
    const values = headers.get(name);
    if (values) values.push(req.rawHeaders[i + 1]);
    else headers.set(name, [req.rawHeaders[i + 1]]);
  }
  return headers;
}

/** A record keyed by client-chosen names: without a prototype, so that no name finds an inherited member. */
function recordOf<V>(entries: Iterable<readonly [string, V]>): Record<string, V> {
  const record = Object.create(null) as Record<string, V>;
  for (const [name, value] of entries) record[name] = value;
  return record;
}

/** Collects the body up to `limit` bytes; past it, refuses at once and discards the rest as it arrives. */
function readBody(req: IncomingMessage, limit: number, resolve: (body: Buffer) => void, reject: (error: Error) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size <= limit) return void chunks.push(chunk);
    req.off('data', onData).resume();
    reject(payloadTooLarge(limit));
  };
  req.on('data', onData);
  req.once('end', () => resolve(Buffer.concat(chunks)));
  req.once('error', reject);
  req.once('close', () => reject(new BrokenRequest('The connection closed before the whole body arrived.')));
}

class BrokenRequest extends Error {}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
function decodeUtf8(body: Buffer): string {
  try {
    return utf8.decode(body);
  } catch {
    throw badRequest('The body is not valid UTF-8.', [{ field: 'body', message: 'not valid UTF-8' }]);
  }
}

/** The answer to an error of a request: its problem, or a client error of its socket's, or (a defect) 500. */
function problemOf(error: unknown, limits: Limits, warn: (message: string) => void): ProblemError {
  if (error instanceof ProblemError) return error;
  if (error instanceof BrokenRequest) return badRequest(error.message);
  // Node's errors carry a code (and may come from another realm, where `instanceof Error` fails).
  if (typeof (error as { code?: unknown } | null)?.code === 'string') return clientProblem(error as Error, limits);
  warn(`request failed: ${describeError(error)}`);
  return internalError();
}

/** What Node's HTTP parser and socket report ('clientError'), as a problem. */
function clientProblem(error: Error, limits: Limits): ProblemError {
  const { code, reason } = error as Error & { code?: string; reason?: string };
  if (code === 'HPE_HEADER_OVERFLOW') {
    return new ProblemError(431, 'header-fields-too-large', 'Request header fields too large', `The request line and headers exceed ${limits.maxHeaderBytes} bytes.`);
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new ProblemError(
      408,
      'request-timeout',
      'Request timeout',
      `The request did not arrive in time: the headers are due within ${limits.headersTimeoutMs} ms, the whole request within ${limits.requestTimeoutMs} ms.`,
    );
  }
  if (code?.startsWith('HPE_')) return badRequest(`The request is not valid HTTP/1.1${reason ? `: ${reason}` : ''}.`);
  return badRequest('The connection failed before the request was complete.');
}

function send(res: ServerResponse, response: ApiResponse, close: boolean): void {
  if (res.headersSent || res.destroyed) return;
  const body = Buffer.from(response.body, 'utf8');
  res.writeHead(response.status, { ...response.headers, 'content-length': body.length, ...(close ? { connection: 'close' } : {}) });
  res.end(body);
}

/** An answer written straight to a socket whose request Node could not parse. */
function rawResponse(response: ApiResponse): Buffer {
  const body = Buffer.from(response.body, 'utf8');
  const head = [
    `HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ''}`,
    ...Object.entries(response.headers).map(([name, value]) => `${name}: ${value}`),
    `content-length: ${body.length}`,
    'connection: close',
  ];
  return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

/** A new request's record, from its socket and (once Node could parse it) the request. */
function exchangeOf(socket: Duplex, req?: IncomingMessage): Exchange {
  return {
    requestId: randomUUID(),
    started: performance.now(),
    ip: (socket as Duplex & { remoteAddress?: string }).remoteAddress ?? '-',
    ...(req ? { method: req.method, protocol: `HTTP/${req.httpVersion}` } : {}),
  };
}

const pathPattern = (path: string) => new RegExp(`^${path.replace(/\{\w+\}/g, '[^/]+')}/?$`);

// API Gateway's $context.resourcePath: the route's template, e.g. /clusters/{clusterId}.
const RESOURCES = [...new Set(ROUTES.map((route) => route.path))].map((path) => ({ path, pattern: pathPattern(path) }));

const METHODS = ROUTES.map((route) => ({ route, pattern: pathPattern(route.path) }));

/** The route a request is for, if any: what decides its authentication and its body limit, as API Gateway's method does. */
function routeOf(method: string, path: string): RouteDefinition | undefined {
  return METHODS.find((candidate) => candidate.route.method === method && candidate.pattern.test(path))?.route;
}

function accessLogLine(exchange: Exchange, response: ApiResponse, errorMessage?: string): string {
  const dash = (value: string | undefined) => value ?? '-';
  return JSON.stringify({
    requestId: exchange.requestId,
    ip: exchange.ip,
    caller: dash(exchange.accessKeyId),
    user: dash(exchange.accessKeyId),
    userArn: dash(exchange.principalArn),
    requestTime: requestTime(new Date()),
    httpMethod: dash(exchange.method),
    resourcePath: dash(exchange.path === undefined ? undefined : RESOURCES.find((resource) => resource.pattern.test(exchange.path!))?.path),
    path: dash(exchange.path),
    status: String(response.status),
    protocol: dash(exchange.protocol),
    responseLength: String(Buffer.byteLength(response.body)),
    responseLatency: String(Math.round(performance.now() - exchange.started)),
    errorMessage: dash(errorMessage),
    wafStatus: '-',
  });
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** $context.requestTime: CLF format, e.g. 01/Dec/2026:23:04:03 +0000. */
function requestTime(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
}
