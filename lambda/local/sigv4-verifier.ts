import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { timingSafeEqual } from 'node:crypto';

/**
 * Verifies AWS Signature Version 4 on requests to the local control plane, as API Gateway's
 * AWS_IAM authorization does: the signature is recomputed with the caller's secret over the
 * headers it says it signed, and the request is refused unless the two match.
 */

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_SERVICE = 'execute-api';
/** SHA-256 on Node's native crypto, for signing and verifying. */
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
  query: Record<string, string[]>;
  headers: Record<string, string>;
  body: string;
}

export type Verification = { ok: true; principalArn: string } | { ok: false; message: string };

const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;

export async function verifySigV4(
  request: IncomingSignedRequest,
  identities: ReadonlyMap<string, LocalIdentity>,
  now = new Date(),
): Promise<Verification> {
  const authorization = request.headers.authorization;
  if (!authorization) return { ok: false, message: 'Missing Authentication Token' };
  const match = AUTHORIZATION.exec(authorization.trim());
  if (!match) return { ok: false, message: 'Authorization header is not an AWS4-HMAC-SHA256 signature' };
  const [, accessKeyId, scopeDate, region, service, signedHeaderList, signature] = match;

  const identity = identities.get(accessKeyId);
  if (!identity) return { ok: false, message: 'The security token included in the request is invalid.' };
  if (region !== LOCAL_REGION || service !== LOCAL_SERVICE) {
    return { ok: false, message: `Credential should be scoped to region ${LOCAL_REGION} and service ${LOCAL_SERVICE}.` };
  }
  const amzDate = request.headers['x-amz-date'];
  const signingDate = amzDate ? parseAmzDate(amzDate) : undefined;
  if (!signingDate || amzDate.slice(0, 8) !== scopeDate) return { ok: false, message: 'X-Amz-Date is missing or does not match the credential scope.' };
  if (Math.abs(now.getTime() - signingDate.getTime()) > MAX_CLOCK_SKEW_MS) {
    return { ok: false, message: 'Signature expired: X-Amz-Date is more than 5 minutes from the server time.' };
  }

  const signedHeaders = signedHeaderList.split(';');
  if (!signedHeaders.includes('host')) return { ok: false, message: 'The host header must be signed.' };
  const headers = Object.fromEntries(signedHeaders.map((name) => [name, request.headers[name] ?? '']));
  const [hostname, port] = (request.headers.host ?? '').split(':');
  const expected = await signerOf(identity).sign(
    new HttpRequest({
      method: request.method,
      protocol: 'http:',
      hostname,
      port: port ? Number(port) : undefined,
      path: request.path,
      query: Object.fromEntries(Object.entries(request.query).map(([name, values]) => [name, values.length === 1 ? values[0] : values])),
      headers,
      body: request.body,
    }),
    { signingDate, signableHeaders: new Set(signedHeaders) },
  );
  const expectedSignature = /Signature=([0-9a-f]{64})/.exec(String(expected.headers.authorization))?.[1] ?? '';
  const same = expectedSignature.length === signature.length && timingSafeEqual(Buffer.from(expectedSignature), Buffer.from(signature));
  if (!same) {
    return { ok: false, message: 'The request signature we calculated does not match the signature you provided.' };
  }
  return { ok: true, principalArn: identity.principalArn };
}

// One signer per identity: it caches the derived signing key of each day.
const signers = new WeakMap<LocalIdentity, SignatureV4>();
function signerOf(identity: LocalIdentity): SignatureV4 {
  let signer = signers.get(identity);
  if (!signer) {
    signer = new SignatureV4({
      service: LOCAL_SERVICE,
      region: LOCAL_REGION,
      credentials: { accessKeyId: identity.accessKeyId, secretAccessKey: identity.secretAccessKey },
      sha256: nativeSha256,
      applyChecksum: false,
    });
    signers.set(identity, signer);
  }
  return signer;
}

function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6])) : undefined;
}
