import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { LOCAL_REGION, LOCAL_SERVICE, nativeSha256 } from './sigv4-verifier';

/** A SigV4-signing HTTP client for SICI's API, signing with the AWS SDK's own signer. */
export class SigV4Client {
  private readonly signer: SignatureV4;

  constructor(
    private readonly baseUrl: string,
    credentials: { accessKeyId: string; secretAccessKey: string },
    region = LOCAL_REGION,
  ) {
    this.signer = new SignatureV4({ service: LOCAL_SERVICE, region, credentials, sha256: nativeSha256 });
  }

  /** Sends `body` (already JSON text) as application/json when given. */
  async fetch(method: string, path: string, body?: string): Promise<Response> {
    const url = new URL(path, this.baseUrl);
    const signed = await this.signer.sign(
      new HttpRequest({
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port ? Number(url.port) : undefined,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: { host: url.host, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body,
      }),
    );
    return fetch(url, { method, headers: signed.headers as Record<string, string>, body });
  }
}
