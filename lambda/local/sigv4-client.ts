import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { LOCAL_REGION, LOCAL_SERVICE, nativeSha256 } from './sigv4-verifier';

/**
 * A SigV4-signing HTTP client for SICI's API, signing with the AWS SDK's own signer. The body is
 * signed as the bytes sent, and the signature covers them through `x-amz-content-sha256`.
 */
export class SigV4Client {
  private readonly signer: SignatureV4;

  constructor(
    private readonly baseUrl: string,
    credentials: { accessKeyId: string; secretAccessKey: string },
    region = LOCAL_REGION,
  ) {
    this.signer = new SignatureV4({ service: LOCAL_SERVICE, region, credentials, sha256: nativeSha256 });
  }

  /** Sends `body` (JSON text, or any bytes) as application/json when given. */
  async fetch(method: string, path: string, body?: string | Uint8Array): Promise<Response> {
    const url = new URL(path, this.baseUrl);
    const query: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
    for (const [name, value] of url.searchParams) (query[name] ??= []).push(value);
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const signed = await this.signer.sign(
      new HttpRequest({
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port ? Number(url.port) : undefined,
        path: url.pathname,
        query,
        headers: { host: url.host, ...(bytes !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: bytes,
      }),
    );
    return fetch(url, { method, headers: signed.headers as Record<string, string>, body: bytes });
  }
}
