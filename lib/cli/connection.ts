import { isAbsolute, join, resolve } from 'node:path';
import { UsageError } from './errors';

/**
 * Where the command line sends its requests and how it signs them: the endpoint, the SigV4 region
 * and service, the AWS profile, and the shared files the credentials come from. Worked out from the
 * global options and the environment alone, before anything is read or sent.
 */

/** The local control plane (`npm start`), used when no endpoint is configured. */
export const DEFAULT_ENDPOINT = 'http://127.0.0.1:8787';
/** API Gateway's SigV4 service name; the local control plane verifies the same. */
export const SIGNING_SERVICE = 'execute-api';
/** The region the local control plane verifies signatures for. */
export const LOCAL_SIGNING_REGION = 'us-east-1';
/** The local control plane's data folder under the project root (bin/local.ts's default), unless SICI_DATA_DIR says otherwise. */
export const LOCAL_DATA_DIR = join('.sici', 'local');

export type Env = Readonly<Record<string, string | undefined>>;

export interface ConnectionOptions {
  readonly endpoint?: string;
  readonly profile?: string;
  readonly region?: string;
}

export interface Connection {
  /** The API's base URL (a stage path such as `/prod` included), without a trailing slash. */
  readonly endpoint: URL;
  /** Where the endpoint came from, for messages. */
  readonly endpointSource: '--endpoint' | 'SICI_ENDPOINT' | 'default';
  /** A loopback endpoint: the local control plane. */
  readonly local: boolean;
  readonly region: string;
  readonly service: typeof SIGNING_SERVICE;
  /** The AWS profile to sign with (`--profile`, else AWS_PROFILE); none: the default credential chain. */
  readonly profile?: string;
  /** The shared-credentials file: AWS_SHARED_CREDENTIALS_FILE, else the local control plane's for a local endpoint, else the SDK's default. */
  readonly credentialsFile?: string;
  /** The shared-config file: AWS_CONFIG_FILE, else the SDK's default (~/.aws/config). */
  readonly configFile?: string;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** `abc123.execute-api.eu-west-1.amazonaws.com` (or `.amazonaws.com.cn`) → `eu-west-1`. */
export function regionOfExecuteApiHost(hostname: string): string | undefined {
  return /^[a-z0-9]+\.execute-api(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?$/.exec(hostname.toLowerCase())?.[1];
}

/**
 * The connection the options and environment describe. `cwd` resolves a relative SICI_DATA_DIR;
 * `projectRoot` is where the local control plane keeps its data by default.
 */
export function resolveConnection(options: ConnectionOptions, env: Env, cwd: string, projectRoot: string): Connection {
  const given = nonEmpty(options.endpoint) ?? nonEmpty(env.SICI_ENDPOINT);
  const endpointSource = nonEmpty(options.endpoint) ? '--endpoint' : nonEmpty(env.SICI_ENDPOINT) ? 'SICI_ENDPOINT' : 'default';
  const endpoint = parseEndpoint(given ?? DEFAULT_ENDPOINT, endpointSource);
  const local = LOOPBACK_HOSTS.has(endpoint.hostname);

  const region =
    nonEmpty(options.region) ??
    (local ? LOCAL_SIGNING_REGION : (regionOfExecuteApiHost(endpoint.hostname) ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION)));
  if (!region) {
    throw new UsageError(`cannot tell the signing region of ${endpoint.href}`, [
      'pass --region (or set AWS_REGION): the region of the API, e.g. --region eu-west-1',
    ]);
  }

  let credentialsFile = nonEmpty(env.AWS_SHARED_CREDENTIALS_FILE);
  if (!credentialsFile && local) {
    const dataDir = nonEmpty(env.SICI_DATA_DIR);
    credentialsFile = dataDir ? join(isAbsolute(dataDir) ? dataDir : resolve(cwd, dataDir), 'credentials') : join(projectRoot, LOCAL_DATA_DIR, 'credentials');
  }
  return {
    endpoint,
    endpointSource,
    local,
    region,
    service: SIGNING_SERVICE,
    profile: nonEmpty(options.profile) ?? nonEmpty(env.AWS_PROFILE),
    credentialsFile,
    configFile: nonEmpty(env.AWS_CONFIG_FILE),
  };
}

function parseEndpoint(text: string, source: Connection['endpointSource']): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${source} is not a URL: ${JSON.stringify(text)}`, [
      'give the API base URL, e.g. https://abc123.execute-api.eu-west-1.amazonaws.com/prod or http://127.0.0.1:8787',
    ]);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash || url.username || url.password) {
    throw new UsageError(`${source} must be an http(s) base URL without query, fragment or user: ${JSON.stringify(text)}`);
  }
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
}

const nonEmpty = (value: string | undefined): string | undefined => (value === undefined || value.trim() === '' ? undefined : value.trim());
