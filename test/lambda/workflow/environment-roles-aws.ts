import { Readable } from 'node:stream';
import { HttpResponse, type HttpHandler, type HttpRequest } from '@smithy/protocol-http';
import { policyDocument, type PolicyStatement } from '../../../lib/access/policy-document';
import { decide } from '../../lib/access/simulate';
import { accountOf, FakeAws } from './fake-aws';

/**
 * The plumbing of a fake for the AWS a control plane function reaches through a role of an
 * environment account, at the SDK's HTTP boundary: STS through `FakeAws` (roles and trust decided by
 * the IAM policy simulator), every other request handed to `serve` with the session that signed it,
 * for the subclass to decide against that role's identity policy.
 */

export const CONTROL_PLANE_ACCOUNT = '999999999999';

/** A session STS issued: the role it assumed, that role's account and identity policy. */
export interface RoleSession {
  readonly roleArn: string;
  readonly account: string;
  readonly identity: PolicyStatement[];
}

export abstract class EnvironmentRolesAws implements HttpHandler {
  readonly sts = new FakeAws();
  private readonly sessions = new Map<string, RoleSession>();
  private readonly identities = new Map<string, PolicyStatement[]>();

  /**
   * @param roleName the role the functions assume in each environment account
   * @param sessionName the session name of the principal the simulator is asked about
   */
  protected constructor(
    protected readonly roleName: string,
    private readonly sessionName = 'session',
  ) {}

  /** A function of the control plane account that may assume the role in the accounts of `environments`; returns its credentials. */
  addFunction(principal: string, environments: readonly { readonly account: string }[]) {
    return this.sts.addCaller(principal, environments.map((environment) => ({ Effect: 'Allow' as const, Action: 'sts:AssumeRole', Resource: this.roleArn(environment.account) })));
  }

  updateHttpClientConfig(): void {}
  httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  async handle(request: HttpRequest): Promise<{ response: HttpResponse }> {
    if (request.hostname.startsWith('sts.')) return this.assumeRole(request);
    return this.serve(request, this.sessionOf(request));
  }

  /** Answers a request that is not for STS; `session` is undefined when no session this fake issued signed it. */
  protected abstract serve(request: HttpRequest, session: RoleSession | undefined): Promise<{ response: HttpResponse }>;

  protected roleArn(account: string): string {
    return `arn:aws:iam::${account}:role/${this.roleName}`;
  }

  /** The role as the platform sets it up: trusting the control plane account, with `statements` as its policy. */
  protected addRole(arn: string, statements: PolicyStatement[]): void {
    this.sts.addRole({
      arn,
      trust: policyDocument([{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${CONTROL_PLANE_ACCOUNT}:root` }, Action: 'sts:AssumeRole' }]),
      identity: statements,
    });
    this.identities.set(arn, statements);
  }

  /** The session whose access key signed `request` (the SigV4 `Authorization` header). */
  protected sessionOf(request: HttpRequest): RoleSession | undefined {
    const accessKeyId = /Credential=([^/]+)\//.exec(String(request.headers.authorization ?? ''))?.[1] ?? '';
    return this.sessions.get(accessKeyId);
  }

  /** The simulator's decision on `action` over `resource` (of `account`) for the role's identity policy. */
  protected async allows(session: RoleSession, action: string, resource: string, account: string): Promise<boolean> {
    const principal = `arn:aws:sts::${session.account}:assumed-role/${session.roleArn.split('/').pop()}/${this.sessionName}`;
    return (await decide({ principal, action, resource, resourceAccount: account }, { identity: session.identity })) === 'Allowed';
  }

  /** STS through FakeAws; the session it issues is remembered with its role, to decide what it signs. */
  private async assumeRole(request: HttpRequest): Promise<{ response: HttpResponse }> {
    const { response } = await this.sts.handle(request);
    const text = Buffer.concat(await (response.body as Readable).toArray()).toString('utf8');
    const accessKeyId = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(text)?.[1];
    const roleArn = new URLSearchParams(bodyText(request)).get('RoleArn') ?? '';
    if (accessKeyId) this.sessions.set(accessKeyId, { roleArn, account: accountOf(roleArn), identity: this.identities.get(roleArn) ?? [] });
    return { response: new HttpResponse({ statusCode: response.statusCode, headers: response.headers, body: Readable.from([Buffer.from(text)]) }) };
  }
}

/** The request body as text: the JSON protocols send bytes (read through their buffer, not their string conversion), the Query protocol a string. */
export function bodyText(request: HttpRequest): string {
  const body: unknown = request.body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  return typeof body === 'string' ? body : '';
}
