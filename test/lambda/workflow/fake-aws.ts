import { Readable } from 'node:stream';
import { HttpResponse, type HttpHandler, type HttpRequest } from '@smithy/protocol-http';
import type { PolicyDocument, PolicyStatement } from '../../../lib/access/policy-document';
import { decide, type Decision, type Request } from '../../lib/access/simulate';

/**
 * AWS at the SDK's HTTP boundary: a smithy request handler that answers STS (Query/XML), S3
 * (REST/XML) and IAM (Query/XML) requests as those services would, deciding every request with the
 * IAM policy simulator (`decide`) over the policies of the fake's roles, sessions and buckets.
 * Callers are told apart by the access key in the SigV4 `Authorization` header.
 */

export interface FakeRole {
  readonly arn: string;
  readonly trust: PolicyDocument;
  readonly identity: PolicyStatement[];
  readonly boundary?: PolicyStatement[];
}

export interface FakeBucket {
  readonly arn: string;
  readonly account: string;
  readonly policy?: PolicyDocument;
}

interface Session {
  readonly principal: string;
  readonly account: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly identity: PolicyStatement[];
  readonly boundary?: PolicyStatement[];
  readonly sessionPolicy?: PolicyDocument;
}

/** One request the fake answered, for assertions. */
export interface FakeCall {
  readonly service: 'sts' | 's3' | 'iam';
  readonly action: string;
  readonly principal: string;
  readonly params: Record<string, string>;
  readonly status: number;
}

/** A response to send instead of the fake's decision, e.g. throttling; `undefined` lets the fake decide. */
export type Fault = (call: { service: string; action: string; params: Record<string, string> }) => { status: number; code: string; message: string } | undefined;

export const accountOf = (arn: string): string => arn.split(':')[4];
const roleNameOf = (roleArn: string): string => roleArn.slice(roleArn.lastIndexOf('/') + 1);
const xmlEscape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export class FakeAws implements HttpHandler {
  readonly roles = new Map<string, FakeRole>();
  readonly buckets = new Map<string, FakeBucket>();
  readonly calls: FakeCall[] = [];
  fault?: Fault;
  /** Evaluation results per SimulateCustomPolicy page. */
  iamPageSize = 3;
  private readonly sessions = new Map<string, Session>();
  private issued = 0;

  /** Registers a caller with its own credentials (the workflow function's role, say) and returns them. */
  addCaller(principal: string, identity: PolicyStatement[]): { accessKeyId: string; secretAccessKey: string } {
    const accessKeyId = `AKIA${String(++this.issued).padStart(16, '0')}`;
    const secretAccessKey = `secret-${accessKeyId}`;
    this.sessions.set(accessKeyId, { principal, account: accountOf(principal), secretAccessKey, identity });
    return { accessKeyId, secretAccessKey };
  }

  addRole(role: FakeRole): void {
    this.roles.set(role.arn, role);
  }

  addBucket(bucket: FakeBucket): void {
    this.buckets.set(bucket.arn.slice(bucket.arn.indexOf(':::') + 3), bucket);
  }

  updateHttpClientConfig(): void {}
  httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  async handle(request: HttpRequest): Promise<{ response: HttpResponse }> {
    const scope = /Credential=([^/]+)\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(String(request.headers.authorization ?? ''));
    if (!scope) throw new Error(`unsigned request to ${request.hostname}`);
    const [, accessKeyId, service] = scope;
    const session = this.sessions.get(accessKeyId);
    if (!session || (session.sessionToken && request.headers['x-amz-security-token'] !== session.sessionToken)) {
      return { response: this.error(service, 403, 'InvalidClientTokenId', 'The security token included in the request is invalid.') };
    }
    const params = service === 's3' ? s3Params(request) : Object.fromEntries(new URLSearchParams(String(request.body ?? '')));
    const action = service === 's3' ? (params['list-type'] === '2' ? 'ListObjectsV2' : `${request.method} ${request.path}`) : params.Action;
    const fault = this.fault?.({ service, action, params });
    let response: HttpResponse;
    if (fault) response = this.error(service, fault.status, fault.code, fault.message);
    else if (service === 'sts' && action === 'AssumeRole') response = await this.assumeRole(session, params);
    else if (service === 's3' && action === 'ListObjectsV2') response = await this.listObjects(session, request, params);
    else if (service === 'iam' && action === 'SimulateCustomPolicy') response = await this.simulateCustomPolicy(params);
    else throw new Error(`the fake does not answer ${service} ${action}`);
    this.calls.push({ service: service as FakeCall['service'], action, principal: session.principal, params, status: response.statusCode });
    return { response };
  }

  /** Allowed when the caller's policies (and its session policy, if any) and the resource's policy allow it, as AWS evaluates. */
  private async allows(session: Session, request: Omit<Request, 'principal'>, resource: PolicyDocument | undefined): Promise<boolean> {
    const asked = { ...request, principal: session.principal };
    const decision = await decide(asked, { identity: session.identity, boundary: session.boundary, resource });
    if (decision !== 'Allowed' || !session.sessionPolicy) return decision === 'Allowed';
    // A session policy caps the session like a boundary: it must allow the request as well.
    return (await decide(asked, { identity: session.sessionPolicy.Statement, resource })) === 'Allowed';
  }

  private async assumeRole(caller: Session, params: Record<string, string>): Promise<HttpResponse> {
    const roleArn = params.RoleArn;
    const role = this.roles.get(roleArn);
    const denied = () =>
      this.error('sts', 403, 'AccessDenied', `User: ${caller.principal} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
    if (!role) return denied();
    const request = { action: 'sts:AssumeRole', resource: roleArn, resourceAccount: accountOf(roleArn) };
    const context: Record<string, string> = params.ExternalId === undefined ? {} : { 'sts:ExternalId': params.ExternalId };
    if (!(await this.allows(caller, { ...request, context }, role.trust))) return denied();
    if (params['Tags.member.1.Key'] !== undefined && !(await this.allows(caller, { ...request, action: 'sts:TagSession' }, role.trust))) {
      return this.error('sts', 403, 'AccessDenied', `User: ${caller.principal} is not authorized to perform: sts:TagSession on resource: ${roleArn}`);
    }
    const accessKeyId = `ASIA${String(++this.issued).padStart(16, '0')}`;
    const session: Session = {
      principal: `arn:aws:sts::${accountOf(roleArn)}:assumed-role/${roleNameOf(roleArn)}/${params.RoleSessionName}`,
      account: accountOf(roleArn),
      secretAccessKey: `secret-${accessKeyId}`,
      sessionToken: `token-${accessKeyId}`,
      identity: role.identity,
      boundary: role.boundary,
      sessionPolicy: params.Policy === undefined ? undefined : JSON.parse(params.Policy),
    };
    this.sessions.set(accessKeyId, session);
    return xml(
      200,
      `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>` +
        `<Credentials><AccessKeyId>${accessKeyId}</AccessKeyId><SecretAccessKey>${session.secretAccessKey}</SecretAccessKey>` +
        `<SessionToken>${session.sessionToken}</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>` +
        `<AssumedRoleUser><AssumedRoleId>AROAFAKE:${xmlEscape(params.RoleSessionName)}</AssumedRoleId><Arn>${xmlEscape(session.principal)}</Arn></AssumedRoleUser>` +
        `</AssumeRoleResult><ResponseMetadata><RequestId>fake-${this.issued}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
    );
  }

  private async listObjects(caller: Session, request: HttpRequest, params: Record<string, string>): Promise<HttpResponse> {
    const name = request.hostname.split('.s3.')[0];
    const bucket = this.buckets.get(name);
    if (!bucket) return this.error('s3', 404, 'NoSuchBucket', 'The specified bucket does not exist');
    const context: Record<string, string> = {};
    if (params.prefix !== undefined) context['s3:prefix'] = params.prefix;
    if (params.delimiter !== undefined) context['s3:delimiter'] = params.delimiter;
    if (params['max-keys'] !== undefined) context['s3:max-keys'] = params['max-keys'];
    const allowed = await this.allows(caller, { action: 's3:ListBucket', resource: bucket.arn, resourceAccount: bucket.account, context }, bucket.policy);
    if (!allowed) return this.error('s3', 403, 'AccessDenied', 'Access Denied');
    return xml(
      200,
      `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
        `<Name>${name}</Name><Prefix>${xmlEscape(params.prefix ?? '')}</Prefix><KeyCount>0</KeyCount><MaxKeys>${params['max-keys'] ?? 1000}</MaxKeys>` +
        `<Delimiter>${xmlEscape(params.delimiter ?? '')}</Delimiter><IsTruncated>false</IsTruncated></ListBucketResult>`,
    );
  }

  /** Identity policies only, as IAM's simulator evaluates custom policies without a resource policy. */
  private async simulateCustomPolicy(params: Record<string, string>): Promise<HttpResponse> {
    const policies = members(params, 'PolicyInputList').map((p) => JSON.parse(p) as PolicyDocument);
    const actions = members(params, 'ActionNames');
    const resources = members(params, 'ResourceArns');
    const context: Record<string, string | string[]> = {};
    for (let n = 1; params[`ContextEntries.member.${n}.ContextKeyName`] !== undefined; n++) {
      const entry = `ContextEntries.member.${n}`;
      const values = members(params, `${entry}.ContextKeyValues`);
      context[params[`${entry}.ContextKeyName`]] = params[`${entry}.ContextKeyType`].endsWith('List') ? values : values[0];
    }
    const results: Array<{ action: string; resource: string; decision: Decision }> = [];
    for (const action of actions) {
      for (const resource of resources) {
        const account = accountOf(resource);
        // A caller in the resource's account, so that only the policies passed decide (no cross-account rule).
        const request = { principal: `arn:aws:iam::${account}:role/simulated-caller`, action, resource, resourceAccount: account, context };
        results.push({ action, resource, decision: await decide(request, { identity: policies.flatMap((p) => p.Statement) }) });
      }
    }
    const start = Number(params.Marker ?? 0);
    const size = Number(params.MaxItems ?? this.iamPageSize);
    const page = results.slice(start, start + size);
    const truncated = start + size < results.length;
    const evalDecision = { Allowed: 'allowed', ImplicitlyDenied: 'implicitDeny', ExplicitlyDenied: 'explicitDeny' } as const;
    return xml(
      200,
      `<SimulateCustomPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><SimulateCustomPolicyResult>` +
        `<IsTruncated>${truncated}</IsTruncated>${truncated ? `<Marker>${start + size}</Marker>` : ''}<EvaluationResults>` +
        page
          .map(
            (r) =>
              `<member><EvalActionName>${r.action}</EvalActionName><EvalResourceName>${xmlEscape(r.resource)}</EvalResourceName>` +
              `<EvalDecision>${evalDecision[r.decision]}</EvalDecision><MatchedStatements/><MissingContextValues/></member>`,
          )
          .join('') +
        `</EvaluationResults></SimulateCustomPolicyResult><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></SimulateCustomPolicyResponse>`,
    );
  }

  private error(service: string, status: number, code: string, message: string): HttpResponse {
    if (service === 's3') {
      return xml(status, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message><RequestId>fake</RequestId><HostId>fake</HostId></Error>`);
    }
    const namespace = service === 'iam' ? 'https://iam.amazonaws.com/doc/2010-05-08/' : 'https://sts.amazonaws.com/doc/2011-06-15/';
    const type = status >= 500 ? 'Receiver' : 'Sender';
    return xml(
      status,
      `<ErrorResponse xmlns="${namespace}"><Error><Type>${type}</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>fake</RequestId></ErrorResponse>`,
    );
  }
}

function s3Params(request: HttpRequest): Record<string, string> {
  return Object.fromEntries(Object.entries(request.query ?? {}).map(([key, value]) => [key, String(Array.isArray(value) ? value[0] : value ?? '')]));
}

/** The values of a Query protocol list, `Name.member.1`, `Name.member.2`, …. */
function members(params: Record<string, string>, name: string): string[] {
  const values: string[] = [];
  for (let n = 1; params[`${name}.member.${n}`] !== undefined; n++) values.push(params[`${name}.member.${n}`]);
  return values;
}

function xml(statusCode: number, body: string): HttpResponse {
  return new HttpResponse({
    statusCode,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': 'fake' },
    body: Readable.from([Buffer.from(body)]),
  });
}
