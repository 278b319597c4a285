import { Readable } from 'node:stream';
import { HttpResponse, type HttpRequest } from '@smithy/protocol-http';
import type { PolicyStatement } from '../../../lib/access/policy-document';
import type { EnvironmentConfig } from '../../../lib/config/platform-config';
import { TENANT_READER_ROLE_NAME } from '../../../lib/contract/workflow';
import { bodyText, EnvironmentRolesAws, type RoleSession } from '../workflow/environment-roles-aws';

/**
 * CloudFormation's drift detection at the SDK's HTTP boundary (the Query protocol, XML answers):
 * DetectStackDrift, DescribeStackDriftDetectionStatus and DescribeStackResourceDrifts, answered from
 * recorded stacks, each request decided by the IAM policy simulator against the identity policy of
 * the reader role whose session signed it. STS goes through `FakeAws`.
 */

export { CONTROL_PLANE_ACCOUNT } from '../workflow/environment-roles-aws';

/** A recorded resource drift, as `aws cloudformation describe-stack-resource-drifts` prints it. */
export interface RecordedResourceDrift {
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceType: string;
  readonly PropertyDifferences: readonly { PropertyPath: string; ExpectedValue?: string; ActualValue?: string; DifferenceType: string }[];
  readonly StackResourceDriftStatus: string;
  readonly Timestamp: string;
}

/** One look at a detection: what DescribeStackDriftDetectionStatus answers. */
export interface RecordedDetectionStatus {
  readonly DetectionStatus: 'DETECTION_IN_PROGRESS' | 'DETECTION_COMPLETE' | 'DETECTION_FAILED';
  readonly StackDriftStatus?: 'DRIFTED' | 'IN_SYNC' | 'NOT_CHECKED' | 'UNKNOWN';
  readonly DetectionStatusReason?: string;
}

/** A recorded stack: the looks at its detection in order (the last one repeats), and its resources' drift. */
export interface RecordedStack {
  readonly statuses: readonly RecordedDetectionStatus[];
  readonly resources: readonly RecordedResourceDrift[];
}

export interface CloudFormationCall {
  readonly action: string;
  readonly account: string;
  readonly params: Record<string, string>;
  readonly status: number;
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const NS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

export class FakeCloudFormationAws extends EnvironmentRolesAws {
  /** Recorded stacks by `<account>/<stack name>`. */
  readonly stacks = new Map<string, RecordedStack>();
  readonly calls: CloudFormationCall[] = [];
  /** Resource drifts in one DescribeStackResourceDrifts page (CloudFormation's default is 100: small here, to page). */
  pageSize = 2;
  private readonly detections = new Map<string, { key: string; looks: number }>();

  constructor() {
    super(TENANT_READER_ROLE_NAME);
  }

  addReader(environment: EnvironmentConfig, statements: PolicyStatement[]) {
    this.addRole(this.roleArn(environment.account), statements);
  }

  protected async serve(request: HttpRequest, session: RoleSession | undefined): Promise<{ response: HttpResponse }> {
    if (!request.hostname.startsWith('cloudformation.')) throw new Error(`the fake does not answer ${request.hostname}`);
    const region = request.hostname.split('.')[1];
    const params = Object.fromEntries(new URLSearchParams(bodyText(request)));
    const action = params.Action;
    if (!session) return this.answer(action, '?', params, error(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.'));
    const { account } = session;
    const stackArn = (name: string) => `arn:aws:cloudformation:${region}:${account}:stack/${name}/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b`;
    const denied = (resource: string) => error(403, 'AccessDenied', `User: ${session.roleArn} is not authorized to perform: cloudformation:${action} on resource: ${resource}`);
    const allowed = (resource: string) => this.allows(session, `cloudformation:${action}`, resource, account);

    if (action === 'DetectStackDrift') {
      const resource = stackArn(params.StackName);
      if (!(await allowed(resource))) return this.answer(action, account, params, denied(resource));
      const key = `${account}/${params.StackName}`;
      if (!this.stacks.has(key)) return this.answer(action, account, params, error(400, 'ValidationError', `Stack with id ${params.StackName} does not exist`));
      const detectionId = `b78ac9b0-${String(this.detections.size + 1).padStart(4, '0')}-11ef-9cd2-0e1f2a3b4c5d`;
      this.detections.set(detectionId, { key, looks: 0 });
      return this.answer(action, account, params, xml(`<DetectStackDriftResponse xmlns="${NS}"><DetectStackDriftResult><StackDriftDetectionId>${detectionId}</StackDriftDetectionId></DetectStackDriftResult>${metadata()}</DetectStackDriftResponse>`));
    }
    if (action === 'DescribeStackDriftDetectionStatus') {
      if (!(await allowed('*'))) return this.answer(action, account, params, denied('*'));
      const detection = this.detections.get(params.StackDriftDetectionId);
      if (!detection) return this.answer(action, account, params, error(400, 'ValidationError', `Drift detection ${params.StackDriftDetectionId} does not exist`));
      const { statuses, resources } = this.stacks.get(detection.key)!;
      const look = statuses[Math.min(detection.looks++, statuses.length - 1)];
      const stackName = detection.key.split('/')[1];
      const drifted = resources.filter((resource) => resource.StackResourceDriftStatus !== 'IN_SYNC').length;
      return this.answer(
        action,
        account,
        params,
        xml(
          `<DescribeStackDriftDetectionStatusResponse xmlns="${NS}"><DescribeStackDriftDetectionStatusResult>` +
            `<StackId>${escape(stackArn(stackName))}</StackId><StackDriftDetectionId>${params.StackDriftDetectionId}</StackDriftDetectionId>` +
            (look.StackDriftStatus ? `<StackDriftStatus>${look.StackDriftStatus}</StackDriftStatus>` : '') +
            `<DetectionStatus>${look.DetectionStatus}</DetectionStatus>` +
            (look.DetectionStatusReason ? `<DetectionStatusReason>${escape(look.DetectionStatusReason)}</DetectionStatusReason>` : '') +
            (look.StackDriftStatus === 'DRIFTED' ? `<DriftedStackResourceCount>${drifted}</DriftedStackResourceCount>` : '') +
            `<Timestamp>2026-11-30T08:00:05.000Z</Timestamp></DescribeStackDriftDetectionStatusResult>${metadata()}</DescribeStackDriftDetectionStatusResponse>`,
        ),
      );
    }
    if (action === 'DescribeStackResourceDrifts') {
      const resource = stackArn(params.StackName);
      if (!(await allowed(resource))) return this.answer(action, account, params, denied(resource));
      const stack = this.stacks.get(`${account}/${params.StackName}`);
      if (!stack) return this.answer(action, account, params, error(400, 'ValidationError', `Stack with id ${params.StackName} does not exist`));
      const wanted = Object.entries(params).filter(([name]) => name.startsWith('StackResourceDriftStatusFilters.member.')).map(([, value]) => value);
      const matching = stack.resources.filter((drift) => wanted.length === 0 || wanted.includes(drift.StackResourceDriftStatus));
      const start = Number(params.NextToken ?? 0);
      const page = matching.slice(start, start + this.pageSize);
      const next = start + this.pageSize < matching.length ? `<NextToken>${start + this.pageSize}</NextToken>` : '';
      return this.answer(
        action,
        account,
        params,
        xml(
          `<DescribeStackResourceDriftsResponse xmlns="${NS}"><DescribeStackResourceDriftsResult><StackResourceDrifts>` +
            page.map((drift) => resourceDriftXml(drift, stackArn(params.StackName))).join('') +
            `</StackResourceDrifts>${next}</DescribeStackResourceDriftsResult>${metadata()}</DescribeStackResourceDriftsResponse>`,
        ),
      );
    }
    throw new Error(`the fake does not answer cloudformation ${action}`);
  }

  private answer(action: string, account: string, params: Record<string, string>, response: HttpResponse): { response: HttpResponse } {
    this.calls.push({ action, account, params, status: response.statusCode });
    return { response };
  }
}

function resourceDriftXml(drift: RecordedResourceDrift, stackId: string): string {
  const differences = drift.PropertyDifferences.map(
    (difference) =>
      `<member><PropertyPath>${escape(difference.PropertyPath)}</PropertyPath>` +
      (difference.ExpectedValue !== undefined ? `<ExpectedValue>${escape(difference.ExpectedValue)}</ExpectedValue>` : '') +
      (difference.ActualValue !== undefined ? `<ActualValue>${escape(difference.ActualValue)}</ActualValue>` : '') +
      `<DifferenceType>${difference.DifferenceType}</DifferenceType></member>`,
  ).join('');
  return (
    `<member><StackId>${escape(stackId)}</StackId><LogicalResourceId>${escape(drift.LogicalResourceId)}</LogicalResourceId>` +
    (drift.PhysicalResourceId ? `<PhysicalResourceId>${escape(drift.PhysicalResourceId)}</PhysicalResourceId>` : '') +
    `<ResourceType>${drift.ResourceType}</ResourceType><PropertyDifferences>${differences}</PropertyDifferences>` +
    `<StackResourceDriftStatus>${drift.StackResourceDriftStatus}</StackResourceDriftStatus><Timestamp>${drift.Timestamp}</Timestamp></member>`
  );
}

const metadata = () => '<ResponseMetadata><RequestId>fake-cloudformation</RequestId></ResponseMetadata>';

function xml(body: string, statusCode = 200): HttpResponse {
  return new HttpResponse({ statusCode, headers: { 'content-type': 'text/xml' }, body: Readable.from([Buffer.from(body)]) });
}

function error(statusCode: number, code: string, message: string): HttpResponse {
  return xml(`<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escape(message)}</Message></Error><RequestId>fake-cloudformation</RequestId></ErrorResponse>`, statusCode);
}
