import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';
import type * as z from 'zod';
import type { AnswerOf, OperationId, RouteOf } from '../contract/routes';
import type { Connection } from './connection';
import { ConnectionError } from './errors';
import { ApiError } from './problem';

/**
 * SICI's API as the command line calls it: requests made from the route table
 * (lib/contract/routes.ts) by operation id, signed with SigV4 (service `execute-api`) using the AWS
 * SDK's signer and the default AWS credential chain (profiles included), sent with fetch. An error
 * status becomes an `ApiError`; a request that cannot be signed or sent, a `ConnectionError`.
 */

/** How long one request may take (API Gateway gives up after 29 s). */
export const REQUEST_TIMEOUT_MS = 60_000;

type Schema<Id extends OperationId, K extends 'params' | 'query' | 'body'> = RouteOf<Id> extends { readonly [P in K]: infer S extends z.ZodType } ? S : undefined;

/** The path parameters of operation `Id`. */
export type ParamsInput<Id extends OperationId> = Schema<Id, 'params'> extends z.ZodType ? { readonly [K in keyof z.input<Schema<Id, 'params'>>]: string } : undefined;
/** The query parameters operation `Id` takes, as text or numbers; undefined ones are not sent. */
export type QueryInput<Id extends OperationId> = Schema<Id, 'query'> extends z.ZodType
  ? { readonly [K in keyof z.input<Schema<Id, 'query'>>]?: string | number | undefined }
  : undefined;
/**
 * The body operation `Id` takes (defaults may be left out), with any text where the schema names
 * the allowed words (tiers, environments, connector types): the command line sends what it was
 * given and the API says which field is wrong; the field names are checked here.
 */
export type BodyInput<Id extends OperationId> = Schema<Id, 'body'> extends z.ZodType ? Loose<z.input<Schema<Id, 'body'>>> : undefined;
type Loose<T> = T extends string ? string : T extends readonly (infer U)[] ? Loose<U>[] : T extends object ? { [K in keyof T]: Loose<T[K]> } : T;

export interface CallOf<Id extends OperationId> {
  readonly params?: ParamsInput<Id>;
  readonly query?: QueryInput<Id>;
  readonly body?: BodyInput<Id>;
  readonly headers?: Readonly<Record<string, string>>;
  /** The media type asked for; default `application/json`. */
  readonly accept?: string;
}

/** A request as sent: a path below the endpoint's base path. */
export interface SignedCall {
  readonly method: string;
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly accept?: string;
}

export interface Answer<T = unknown> {
  readonly status: number;
  readonly headers: Headers;
  /** The body as received. */
  readonly text: string;
  /** The body parsed, when it is JSON. */
  readonly document: T;
}

export interface ApiClientOptions {
  readonly fetch?: typeof fetch;
  readonly timeoutMs?: number;
  /** Credentials to sign with instead of the credential chain's (for tests of the signing itself). */
  readonly credentials?: AwsCredentialIdentity;
}

export class ApiClient {
  private credentials?: Promise<AwsCredentialIdentity>;

  constructor(
    readonly connection: Connection,
    private readonly options: ApiClientOptions = {},
  ) {
    if (options.credentials) this.credentials = Promise.resolve(options.credentials);
  }

  /** Calls operation `id` of the route table. */
  async call<Id extends OperationId>(id: Id, call: CallOf<Id> = {}): Promise<Answer<AnswerOf<Id>>> {
    const { ROUTES } = await import('../contract/routes');
    const route = ROUTES.find((candidate) => candidate.operationId === id);
    if (!route) throw new Error(`no route ${id}`);
    const params = (call.params ?? {}) as Record<string, string>;
    const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      const value = params[name];
      if (value === undefined) throw new Error(`${id}: path parameter ${name} missing`);
      return encodeRfc3986(value);
    });
    return (await this.send({ method: route.method, path, query: call.query, body: call.body, headers: call.headers, accept: call.accept })) as Answer<AnswerOf<Id>>;
  }

  /** Signs and sends one request; resolves with a 2xx or 3xx answer, throws `ApiError` for a 4xx or 5xx one. */
  async send(call: SignedCall): Promise<Answer> {
    const { endpoint } = this.connection;
    // A base URL's path is `/` or a stage path such as `/prod` (never with a trailing slash otherwise).
    const path = `${endpoint.pathname.replace(/\/+$/, '')}${call.path}`;
    const query: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const [name, value] of Object.entries(call.query ?? {})) if (value !== undefined) query[name] = String(value);
    const queryString = Object.keys(query)
      .sort()
      .map((name) => `${encodeRfc3986(name)}=${encodeRfc3986(query[name])}`)
      .join('&');
    const url = `${endpoint.origin}${path}${queryString ? `?${queryString}` : ''}`;
    const bytes = call.body === undefined ? undefined : Buffer.from(JSON.stringify(call.body), 'utf8');
    const headers: Record<string, string> = {
      host: endpoint.host,
      accept: call.accept ?? 'application/json',
      ...(bytes ? { 'content-type': 'application/json' } : {}),
      ...Object.fromEntries(Object.entries(call.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value])),
    };

    const signer = new SignatureV4({
      service: this.connection.service,
      region: this.connection.region,
      credentials: await this.resolveCredentials(),
      sha256: Hash.bind(null, 'sha256'),
    });
    const signed = await signer.sign(
      new HttpRequest({
        method: call.method,
        protocol: endpoint.protocol,
        hostname: endpoint.hostname,
        port: endpoint.port ? Number(endpoint.port) : undefined,
        path,
        query,
        headers,
        body: bytes,
      }),
    );

    const timeoutMs = this.options.timeoutMs ?? REQUEST_TIMEOUT_MS;
    let response: Response;
    let text: string;
    try {
      response = await (this.options.fetch ?? fetch)(url, {
        method: call.method,
        headers: signed.headers as Record<string, string>,
        body: bytes,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw this.unreachable(error, timeoutMs);
    }
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    let document: unknown = undefined;
    if (/^application\/(?:[\w.+-]+\+)?json$/.test(mediaType) && text !== '') {
      try {
        document = JSON.parse(text);
      } catch {
        document = undefined;
      }
    }
    if (response.status >= 400) throw new ApiError(response.status, document ?? text);
    return { status: response.status, headers: response.headers, text, document };
  }

  private resolveCredentials(): Promise<AwsCredentialIdentity> {
    this.credentials ??= credentialProvider(this.connection).then(
      (provider) => provider(),
    );
    return this.credentials.catch((error: unknown) => {
      throw signingError(this.connection, error);
    });
  }

  private unreachable(error: unknown, timeoutMs: number): ConnectionError {
    const where = this.connection.endpoint.href;
    const hint = this.connection.local
      ? ['is the local control plane running? Start it with `npm start` in the project, or point --endpoint (SICI_ENDPOINT) at the API']
      : ['check --endpoint (SICI_ENDPOINT) and the network'];
    const name = (error as { name?: string })?.name;
    if (name === 'TimeoutError' || name === 'AbortError') return new ConnectionError(`no answer from ${where} within ${timeoutMs / 1000} s`, hint);
    const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
    const reason = cause?.message ?? (error instanceof Error ? error.message : String(error));
    return new ConnectionError(`cannot reach ${where}: ${firstLine(reason)}`, hint);
  }
}

/** The credentials the connection signs with: the named profile from the shared files, else the default chain. */
async function credentialProvider(connection: Connection): Promise<() => Promise<AwsCredentialIdentity>> {
  // Loaded on use: `sici --help` needs none of the SDK.
  const { fromEnv, fromIni, fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
  const files = { filepath: connection.credentialsFile, configFilepath: connection.configFile };
  if (connection.profile) return fromIni({ ...files, profile: connection.profile });
  // The local control plane knows only the keys of its credentials file: environment keys (taken
  // from that file) or a profile of it; no need to ask SSO or the instance metadata service.
  if (connection.local) return fromEnv();
  return fromNodeProviderChain(files);
}

/** Why a request could not be signed, with what to do about it. */
function signingError(connection: Connection, error: unknown): ConnectionError {
  // The SDK's words for "no keys in the environment" say nothing to someone who just forgot --profile.
  const reason = !connection.profile && connection.local ? 'no profile chosen' : firstLine(error instanceof Error ? error.message : String(error));
  const credentialsFile = connection.credentialsFile ?? join(homedir(), '.aws', 'credentials');
  const configFile = connection.configFile ?? join(homedir(), '.aws', 'config');
  const known = [...profilesIn(credentialsFile, false), ...profilesIn(configFile, true)];
  const details: string[] = [];
  if (connection.local && connection.credentialsFile && !existsSync(connection.credentialsFile)) {
    details.push(`no local credentials at ${connection.credentialsFile}: start the local control plane first (npm start), or set SICI_DATA_DIR to its data folder`);
  } else if (connection.profile && !known.includes(connection.profile)) {
    details.push(`there is no profile "${connection.profile}" in ${credentialsFile} or ${configFile}`);
    if (known.length > 0) details.push(`profiles there: ${[...new Set(known)].join(', ')}`);
  } else if (!connection.profile && connection.local) {
    details.push(`choose a profile of the local control plane, e.g. --profile sici-team-a (profiles in ${credentialsFile}: ${known.join(', ') || 'none'})`);
  } else if (!connection.profile) {
    details.push('configure credentials as for the AWS CLI (aws configure, aws sso login, AWS_PROFILE), or pass --profile');
  }
  return new ConnectionError(`cannot sign the request: ${reason}`, details);
}

/** The profile names a shared file defines (`[name]` in credentials, `[profile name]` or `[default]` in config). */
function profilesIn(file: string, config: boolean): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return [...text.matchAll(/^\s*\[([^\]]+)\]\s*$/gm)]
    .map((match) => match[1].trim())
    .flatMap((name) => (!config ? [name] : name === 'default' ? [name] : name.startsWith('profile ') ? [name.slice('profile '.length).trim()] : []));
}

/** Percent-encoding as SigV4 canonicalizes it (RFC 3986 unreserved characters stay as they are). */
export function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const firstLine = (text: string) => text.split('\n')[0].trim();
