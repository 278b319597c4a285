import { Readable } from 'node:stream';
import { HttpResponse, type HttpRequest } from '@smithy/protocol-http';
import type { PolicyStatement } from '../../../lib/access/policy-document';
import { TENANT_OPERATOR_ROLE_NAME, tenantOperatorRolePolicyStatements } from '../../../lib/access/tenant-operator-policy';
import { bodyText, CONTROL_PLANE_ACCOUNT, EnvironmentRolesAws, type RoleSession } from '../workflow/environment-roles-aws';

/**
 * What the fleet worker reaches in an environment account, at the SDK's HTTP boundary: STS through
 * `FakeAws`, EKS node groups (REST JSON) and Elastic Load Balancing v2 (Query/XML) answered from
 * recorded state, every request decided by the IAM policy simulator against the identity policy of
 * the `sici-tenant-operator` session that signed it.
 */

export { CONTROL_PLANE_ACCOUNT } from '../workflow/environment-roles-aws';
const NS = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';

export interface FakeNodegroup {
  readonly name: string;
  readonly role: 'coordinator' | 'worker';
  scaling: { minSize: number; desiredSize: number; maxSize: number };
}
export interface FakeRule {
  readonly arn: string;
  priority: string;
  readonly isDefault: boolean;
  readonly fixedResponseBody?: string;
}
export interface FakeLoadBalancer {
  readonly arn: string;
  readonly tags: Record<string, string>;
  readonly listenerArn: string;
  readonly rules: FakeRule[];
}

export class FakeOperatorAws extends EnvironmentRolesAws {
  readonly nodegroups = new Map<string, FakeNodegroup[]>();
  readonly loadBalancers: FakeLoadBalancer[] = [];
  /** Every EKS and ELB call: action, and whether the simulator allowed it. */
  readonly calls: { action: string; resource: string; allowed: boolean }[] = [];
  private ruleCount = 0;

  constructor(
    readonly account: string,
    readonly region: string,
    statements: PolicyStatement[] = tenantOperatorRolePolicyStatements({ account, region }),
  ) {
    super(TENANT_OPERATOR_ROLE_NAME, 'sici-fleet-worker');
    this.addRole(this.roleArn(account), statements);
  }

  /** The fleet worker's own role in the control plane account. */
  addWorker() {
    return this.addFunction(`arn:aws:iam::${CONTROL_PLANE_ACCOUNT}:role/sici-fleet-worker`, [{ account: this.account }]);
  }

  protected async serve(request: HttpRequest, session: RoleSession | undefined): Promise<{ response: HttpResponse }> {
    if (!session) throw new Error(`a request to ${request.hostname} not signed by an operator session`);
    if (request.hostname.startsWith('eks.')) return this.eks(request, session);
    if (request.hostname.startsWith('elasticloadbalancing.')) return this.elb(request, session);
    throw new Error(`the fake does not answer ${request.hostname}`);
  }

  /** The simulator's decision, recorded in `calls`. */
  private async allowed(session: RoleSession, action: string, resource: string): Promise<boolean> {
    const allowed = await this.allows(session, action, resource, this.account);
    this.calls.push({ action, resource, allowed });
    return allowed;
  }

  private async eks(request: HttpRequest, session: RoleSession): Promise<{ response: HttpResponse }> {
    const [, , clusterName, , nodegroupName, update] = decodeURIComponent(request.path).split('/');
    const groups = this.nodegroups.get(clusterName);
    const clusterArn = `arn:aws:eks:${this.region}:${this.account}:cluster/${clusterName}`;
    const denied = () => json(403, { message: 'User is not authorized to perform this operation' }, 'AccessDeniedException');
    if (!nodegroupName) {
      if (!(await this.allowed(session, 'eks:ListNodegroups', clusterArn))) return denied();
      if (!groups) return json(404, { message: `No cluster found for name: ${clusterName}.` }, 'ResourceNotFoundException');
      return json(200, { nodegroups: groups.map((group) => group.name) });
    }
    const group = groups?.find((candidate) => candidate.name === nodegroupName);
    const arn = `arn:aws:eks:${this.region}:${this.account}:nodegroup/${clusterName}/${nodegroupName}/0a1b2c3d-0000-0000-0000-000000000000`;
    if (!group) return json(404, { message: 'No node group found' }, 'ResourceNotFoundException');
    if (update === 'update-config') {
      if (!(await this.allowed(session, 'eks:UpdateNodegroupConfig', arn))) return denied();
      const body = JSON.parse(bodyText(request));
      const next = { ...group.scaling, ...body.scalingConfig };
      if (JSON.stringify(next) === JSON.stringify(group.scaling)) return json(400, { message: 'No changes needed' }, 'InvalidParameterException');
      if (next.maxSize < 1 || next.minSize > next.desiredSize || next.desiredSize > next.maxSize) return json(400, { message: 'Invalid scaling config' }, 'InvalidParameterException');
      group.scaling = next;
      return json(200, { update: { id: 'u-1', status: 'InProgress', type: 'ConfigUpdate' } });
    }
    if (!(await this.allowed(session, 'eks:DescribeNodegroup', arn))) return denied();
    return json(200, { nodegroup: { nodegroupName, clusterName, nodegroupArn: arn, scalingConfig: group.scaling, labels: { 'sici.io/node-role': group.role } } });
  }

  private async elb(request: HttpRequest, session: RoleSession): Promise<{ response: HttpResponse }> {
    const params = Object.fromEntries(new URLSearchParams(String(request.body ?? '')));
    const action = params.Action;
    const lbOfListener = (arn: string) => this.loadBalancers.find((lb) => lb.listenerArn === arn);
    const lbOfRule = (arn: string) => this.loadBalancers.find((lb) => lb.rules.some((rule) => rule.arn === arn));
    const resource =
      action === 'CreateRule' ? params.ListenerArn : action === 'DeleteRule' ? params.RuleArn : action === 'SetRulePriorities' ? params['RulePriorities.member.1.RuleArn'] : '*';
    if (!(await this.allowed(session, `elasticloadbalancing:${action}`, resource))) {
      return xml(400, `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized to perform elasticloadbalancing:${action}</Message></Error><RequestId>x</RequestId></ErrorResponse>`);
    }
    const rule = (r: FakeRule) =>
      `<member><RuleArn>${r.arn}</RuleArn><Priority>${r.priority}</Priority><IsDefault>${r.isDefault}</IsDefault><Conditions/><Actions><member>` +
      (r.fixedResponseBody !== undefined
        ? `<Type>fixed-response</Type><FixedResponseConfig><StatusCode>503</StatusCode><ContentType>text/plain</ContentType><MessageBody>${r.fixedResponseBody}</MessageBody></FixedResponseConfig>`
        : '<Type>forward</Type>') +
      '</member></Actions></member>';
    let result: string;
    switch (action) {
      case 'DescribeLoadBalancers':
        result = `<LoadBalancers>${this.loadBalancers.map((lb) => `<member><LoadBalancerArn>${lb.arn}</LoadBalancerArn><Type>application</Type></member>`).join('')}</LoadBalancers>`;
        break;
      case 'DescribeTags': {
        const arns = Object.entries(params).filter(([key]) => key.startsWith('ResourceArns.member.')).map(([, value]) => value);
        if (arns.length > 20) return xml(400, `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>at most 20</Message></Error></ErrorResponse>`);
        result = `<TagDescriptions>${arns
          .map((arn) => `<member><ResourceArn>${arn}</ResourceArn><Tags>${Object.entries(this.loadBalancers.find((lb) => lb.arn === arn)?.tags ?? {}).map(([k, v]) => `<member><Key>${k}</Key><Value>${v}</Value></member>`).join('')}</Tags></member>`)
          .join('')}</TagDescriptions>`;
        break;
      }
      case 'DescribeListeners': {
        const lb = this.loadBalancers.find((candidate) => candidate.arn === params.LoadBalancerArn);
        result = `<Listeners>${lb ? `<member><ListenerArn>${lb.listenerArn}</ListenerArn><Protocol>HTTPS</Protocol><Port>443</Port></member>` : ''}</Listeners>`;
        break;
      }
      case 'DescribeRules':
        result = `<Rules>${(lbOfListener(params.ListenerArn)?.rules ?? []).map(rule).join('')}</Rules>`;
        break;
      case 'SetRulePriorities': {
        for (let n = 1; params[`RulePriorities.member.${n}.RuleArn`]; n++) {
          const arn = params[`RulePriorities.member.${n}.RuleArn`];
          lbOfRule(arn)!.rules.find((r) => r.arn === arn)!.priority = params[`RulePriorities.member.${n}.Priority`];
        }
        result = '<Rules/>';
        break;
      }
      case 'CreateRule': {
        const lb = lbOfListener(params.ListenerArn)!;
        if (lb.rules.some((r) => r.priority === params.Priority)) {
          return xml(400, `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>PriorityInUse</Code><Message>Priority '${params.Priority}' is currently in use</Message></Error></ErrorResponse>`);
        }
        const created: FakeRule = { arn: `${lb.listenerArn.replace(':listener/', ':listener-rule/')}/r${++this.ruleCount}`, priority: params.Priority, isDefault: false, fixedResponseBody: params['Actions.member.1.FixedResponseConfig.MessageBody'] };
        lb.rules.push(created);
        result = `<Rules>${rule(created)}</Rules>`;
        break;
      }
      case 'DeleteRule': {
        const lb = lbOfRule(params.RuleArn)!;
        lb.rules.splice(lb.rules.findIndex((r) => r.arn === params.RuleArn), 1);
        result = '';
        break;
      }
      default:
        throw new Error(`the fake does not answer elasticloadbalancing ${action}`);
    }
    return xml(200, `<${action}Response xmlns="${NS}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>x</RequestId></ResponseMetadata></${action}Response>`);
  }
}

function json(statusCode: number, body: object, errorType?: string): { response: HttpResponse } {
  return {
    response: new HttpResponse({
      statusCode,
      headers: { 'content-type': 'application/json', ...(errorType ? { 'x-amzn-errortype': errorType } : {}) },
      body: Readable.from([Buffer.from(JSON.stringify(body))]),
    }),
  };
}

function xml(statusCode: number, body: string): { response: HttpResponse } {
  return { response: new HttpResponse({ statusCode, headers: { 'content-type': 'text/xml' }, body: Readable.from([Buffer.from(body)]) }) };
}
