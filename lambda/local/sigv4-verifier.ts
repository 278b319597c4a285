import { Hash } from '@smithy/hash-node';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Verifies AWS Signature Version 4 on requests to the local control plane, as API Gateway's
 * AWS_IAM authorization does: the canonical request is rebuilt from what was received (the path
 * as sent, the query, the headers the caller says it signed, and the SHA-256 of the body's bytes),
 * signed with the caller's secret, and the request is refused unless the two signatures match.
 * Every client-chosen name is looked up in a Map, never in a plain object.
 */

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_SERVICE = 'execute-api';
/** SHA-256 on Node's native crypto, for the SDK's signer. */
export const nativeSha256 = Hash.bind(null, 'sha256');

const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

export interface LocalIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  principalArn: string;
}

export interface IncomingSignedRequest {
  method: string;
  /** Path as sent, still percent-encoded. */
  path: string;
  /** Decoded names, each with every value given. */
  query: ReadonlyMap<string, readonly string[]>;
  /** Lower-case names, each with every value received (as Node decodes them: one character per byte). */
  headers: ReadonlyMap<string, readonly string[]>;
  body: Uint8Array;
}

export type Verification = { ok: true; principalArn: string; accessKeyId: string } | { ok: false; message: string };

// SignedHeaders: lower-case header names (RFC 9110 tokens) separated by semicolons.
const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([!#$%&'*+.^_`|~0-9a-z-]+(?:;[!#$%&'*+.^_`|~0-9a-z-]+)*),\s*Signature=([0-9a-f]{64})$/;

export function verifySigV4(request: IncomingSignedRequest, identities: ReadonlyMap<string, LocalIdentity>, now = new Date()): Verification {
  const header = (name: string) => request.headers.get(name)?.join(',');
  const refuse = (message: string): Verification => ({ ok: false, message });

  const authorization = header('authorization');
  if (authorization === undefined) return refuse('Missing Authentication Token');
  // curl --aws-sigv4 with an empty --user (an unset shell variable) signs with no access key at all.
  if (/^AWS4-HMAC-SHA256 Credential=\//.test(authorization.trim())) {
    return refuse('The access key id is missing: the Credential of the Authorization header names none (sign with an access key and its secret).');
  }
  const match = AUTHORIZATION.exec(authorization.trim());
  if (!match) return refuse('Authorization header is not an AWS4-HMAC-SHA256 signature');
  const [, accessKeyId, scopeDate, region, service, signedHeaderList, signature] = match;

  const identity = identities.get(accessKeyId);
  if (!identity) return refuse('The security token included in the request is invalid.');
  if (region !== LOCAL_REGION || service !== LOCAL_SERVICE) {
    return refuse(`Credential should be scoped to region ${LOCAL_REGION} and service ${LOCAL_SERVICE}.`);
  }
  const amzDate = header('x-amz-date') ?? '';
  const signingDate = parseAmzDate(amzDate);
  if (!signingDate || amzDate.slice(0, 8) !== scopeDate) return refuse('X-Amz-Date is missing or does not match the credential scope.');
  if (Math.abs(now.getTime() - signingDate.getTime()) > MAX_CLOCK_SKEW_MS) {
    return refuse('Signature expired: X-Amz-Date is more than 5 minutes from the server time.');
  }

  const signedHeaders = signedHeaderList.split(';');
  for (const required of ['host', 'x-amz-date']) {
    if (!signedHeaders.includes(required)) return refuse(`The ${required} header must be signed.`);
  }
  const absent = signedHeaders.find((name) => !request.headers.has(name));
  if (absent !== undefined) return refuse(`The signed header ${absent} is not in the request.`);

  const payloadHash = createHash('sha256').update(request.body).digest('hex');
  const declaredHash = header('x-amz-content-sha256');
  if (declaredHash !== undefined && declaredHash !== payloadHash) {
    return refuse("The provided 'x-amz-content-sha256' header does not match what was computed.");
  }

  const canonicalRequest = [
    request.method,
    canonicalPath(request.path),
    canonicalQuery(request.query),
    ...signedHeaders.map((name) => `${name}:${canonicalHeaderValue(request.headers.get(name)!)}`),
    '',
    signedHeaderList,
    payloadHash,
  ].join('\n');
  const scope = `${scopeDate}/${region}/${service}/aws4_request`;
  // latin1: header values hold one character per byte received, and everything else is ASCII.
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonicalRequest, 'latin1').digest('hex')].join('\n');
  const expected = createHmac('sha256', signingKey(identity.secretAccessKey, scopeDate, region, service)).update(stringToSign).digest();
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
    return refuse('The request signature we calculated does not match the signature you provided.');
  }
  return { ok: true, principalArn: identity.principalArn, accessKeyId };
}

function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
}

/** RFC 3986 percent-encoding of everything but the unreserved characters, as SigV4 specifies. */
function escapeUri(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The path with empty and dot segments resolved, each segment encoded again (all services but S3). */
function canonicalPath(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalized = `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
  return escapeUri(normalized).replace(/%2F/g, '/');
}

function canonicalQuery(query: ReadonlyMap<string, readonly string[]>): string {
  const pairs = [...query].flatMap(([name, values]) => values.map((value) => [escapeUri(name), escapeUri(value)] as const));
  pairs.sort(([nameA, valueA], [nameB, valueB]) => compare(nameA, nameB) || compare(valueA, valueB));
  return pairs.map(([name, value]) => `${name}=${value}`).join('&');
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function canonicalHeaderValue(values: readonly string[]): string {
  return values.map((value) => value.replace(/[ \t]+/g, ' ').replace(/^ | $/g, '')).join(',');
}

function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6])) : undefined;
}
