import { connect } from 'node:net';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { LOCAL_REGION, LOCAL_SERVICE, nativeSha256 } from '../../lambda/local/sigv4-verifier';

/**
 * HTTP/1.1 at the level of bytes on a socket (node:net), for what well-behaved clients such as
 * fetch never send: any request target, any header name, a body shorter than its Content-Length,
 * a client that stops half-way. Requests are signed with the AWS SDK's signer, independently of
 * the local verifier.
 */

export interface RawAnswer {
  status: number;
  /** Lower-case names. */
  headers: Map<string, string>;
  body: string;
}

export interface RawResult {
  /** The first answer on the connection, if one came. */
  answer?: RawAnswer;
  /** Whether the server closed the connection: without an answer, or after one that said `connection: close`. */
  closedByServer: boolean;
}

export interface SendOptions {
  /** What the client does once it has written: waits for the answer (default), half-closes, closes, or resets the connection. */
  then?: 'wait' | 'end' | 'destroy' | 'reset';
}

/** Writes `request` on a new connection and reads the first answer, or sees the connection closed. */
export function send(port: number, request: string | Buffer | readonly (string | Buffer)[], options: SendOptions = {}): Promise<RawResult> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let settled = false;
    const settle = (closedByServer: boolean) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve({ answer: parseAnswer(received), closedByServer });
    };
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      // An answer that says it closes the connection is read until the server does.
      const answer = parseAnswer(received, true);
      if (answer && answer.headers.get('connection') !== 'close') settle(false);
    });
    socket.on('error', () => settle(true));
    socket.on('close', () => settle(true));
    socket.once('connect', () => {
      for (const part of Array.isArray(request) ? request : [request]) socket.write(part);
      if (options.then === 'end') socket.end();
      if (options.then === 'reset') socket.resetAndDestroy();
      if (options.then === 'destroy' || options.then === 'reset') settle(false);
    });
  });
}

/** The first answer in `bytes`; `complete` asks for it whole (as its Content-Length says). */
function parseAnswer(bytes: Buffer, complete = false): RawAnswer | undefined {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!status) return undefined;
  const headers = new Map(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  const length = Number(headers.get('content-length') ?? NaN);
  const body = bytes.subarray(end + 4, Number.isNaN(length) ? undefined : end + 4 + length);
  if (complete && (Number.isNaN(length) || body.length < length)) return undefined;
  return { status: Number(status[1]), headers, body: body.toString('utf8') };
}

export interface RawRequest {
  method: string;
  /** The request target as written on the request line, e.g. `/clusters?limit=5`. */
  target: string;
  /** Header fields besides host, content-length and the signature's. */
  headers?: Readonly<Record<string, string>>;
  body?: string | Uint8Array;
}

/** A request as bytes: host first, then `headers`, then Content-Length when there is a body. */
export function serialize(request: RawRequest, host = 'localhost'): Buffer {
  const body = typeof request.body === 'string' ? Buffer.from(request.body, 'utf8') : Buffer.from(request.body ?? []);
  const headers: [string, string][] = [['host', host], ...Object.entries(request.headers ?? {})];
  if (request.body !== undefined && !headers.some(([name]) => name.toLowerCase() === 'content-length')) headers.push(['content-length', String(body.length)]);
  const head = [`${request.method} ${request.target} HTTP/1.1`, ...headers.map(([name, value]) => `${name}: ${value}`)].join('\r\n');
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'utf8'), body]);
}

export interface SigningOptions {
  host?: string;
  /** Sign the SHA-256 of the body as `x-amz-content-sha256` (the SDK's default). @default true */
  contentSha256?: boolean;
}

/** `request` signed by the AWS SDK's SigV4 signer, as a request of the SDK would be. */
export async function signed(
  request: RawRequest,
  credentials: { accessKeyId: string; secretAccessKey: string },
  options: SigningOptions = {},
): Promise<RawRequest> {
  const host = options.host ?? 'localhost';
  const mark = request.target.indexOf('?');
  const query = Object.create(null) as Record<string, string[]>;
  if (mark >= 0) for (const [name, value] of new URLSearchParams(request.target.slice(mark + 1))) (query[name] ??= []).push(value);
  const signer = new SignatureV4({
    service: LOCAL_SERVICE,
    region: LOCAL_REGION,
    credentials,
    sha256: nativeSha256,
    applyChecksum: options.contentSha256 ?? true,
  });
  const result = await signer.sign(
    new HttpRequest({
      method: request.method,
      protocol: 'http:',
      hostname: host,
      path: mark >= 0 ? request.target.slice(0, mark) : request.target,
      query,
      headers: { ...request.headers, host },
      body: typeof request.body === 'string' ? Buffer.from(request.body, 'utf8') : request.body,
    }),
  );
  const headers = { ...(result.headers as Record<string, string>) };
  delete headers.host;
  return { ...request, headers };
}
