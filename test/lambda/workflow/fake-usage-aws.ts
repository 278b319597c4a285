import { Readable } from 'node:stream';
import { HttpResponse, type HttpRequest } from '@smithy/protocol-http';
import type { PolicyStatement } from '../../../lib/access/policy-document';
import { TENANT_READER_ROLE_NAME } from '../../../lib/contract/workflow';
import { tenantReaderRolePolicy } from '../../../lib/control-plane/workflow/provisioning-workflow';
import type { EnvironmentConfig } from '../../../lib/config/platform-config';
import { bodyText, EnvironmentRolesAws, type RoleSession } from './environment-roles-aws';

/**
 * The AWS a usage-collecting or token-reading control plane function sees, at the SDK's HTTP
 * boundary: STS through `FakeAws` (roles and trust decided by the IAM policy simulator), and
 * CloudWatch `GetMetricData` (JSON 1.0) and Secrets Manager `GetSecretValue` (JSON 1.1) answered
 * from recorded data, each request decided against the identity policy of the role whose session
 * signed it.
 */

export { CONTROL_PLANE_ACCOUNT } from './environment-roles-aws';

/**
 * What the environment's `sici-tenant-reader` role needs for usage and ingest tokens, beside reading
 * stacks and clusters: the statements `tenantReaderRolePolicy()` must hold (a test checks it does).
 */
export function readerUsageStatements(environment: EnvironmentConfig): PolicyStatement[] {
  return [
    { Effect: 'Allow', Action: 'cloudwatch:GetMetricData', Resource: '*' },
    { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: `arn:aws:secretsmanager:${environment.region}:${environment.account}:secret:sici/c-*/ingest-token-*` },
  ];
}

/** One recorded time series: what GetMetricData gives for a metric of a cluster. */
export interface RecordedSeries {
  readonly Timestamps: number[];
  readonly Values: number[];
}

/** A recorded cluster: its series by metric name. */
export type RecordedCluster = Record<string, RecordedSeries>;

export interface MetricQuery {
  readonly Id: string;
  readonly MetricStat: { Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: string }[] }; Period: number; Stat: string };
}

export interface GetMetricDataCall {
  readonly account: string;
  readonly region: string;
  readonly queries: MetricQuery[];
  /** Epoch seconds, as the JSON protocol sends them. */
  readonly startTime: number;
  readonly endTime: number;
  readonly nextToken?: string;
  /** Whether the reader's policy allowed it (the simulator's decision). */
  readonly allowed: boolean;
}

export class FakeUsageAws extends EnvironmentRolesAws {
  /** The recorded series of each EKS cluster name (`sici-<clusterId>`), by metric name. */
  readonly metrics = new Map<string, RecordedCluster>();
  /** Secrets by name (`sici/<clusterId>/ingest-token`), per account. */
  readonly secrets = new Map<string, string>();
  readonly metricCalls: GetMetricDataCall[] = [];
  readonly secretCalls: string[] = [];
  /** Datapoints in one GetMetricData page, all results together (CloudWatch's is 100,800: small here, to page). */
  pageSize = 120;

  constructor() {
    super(TENANT_READER_ROLE_NAME);
  }

  /** The environment's reader role, as the platform sets it up, with `statements` as its policy (by default: the generated one). */
  addReader(environment: EnvironmentConfig, statements: PolicyStatement[] = tenantReaderRolePolicy(environment).toJSON().Statement) {
    this.addRole(this.roleArn(environment.account), statements);
  }

  protected async serve(request: HttpRequest, session: RoleSession | undefined): Promise<{ response: HttpResponse }> {
    const target = String(request.headers['x-amz-target'] ?? '');
    const body = JSON.parse(bodyText(request) || '{}');
    const [, region] = /^[a-z]+\.([a-z0-9-]+)\./.exec(request.hostname) ?? [];
    if (!session) return json(403, { __type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' });
    const { account } = session;
    if (target === 'GraniteServiceVersion20100801.GetMetricData') {
      const allowed = await this.allows(session, 'cloudwatch:GetMetricData', '*', account);
      const call = { account, region, queries: body.MetricDataQueries, startTime: body.StartTime, endTime: body.EndTime, nextToken: body.NextToken, allowed };
      this.metricCalls.push(call);
      if (!allowed) return json(400, { __type: 'AccessDeniedException', message: `User: ${session.roleArn} is not authorized to perform: cloudwatch:GetMetricData` });
      return this.getMetricData(call);
    }
    if (target === 'secretsmanager.GetSecretValue') {
      const arn = `arn:aws:secretsmanager:${region}:${account}:secret:${body.SecretId}-AbCdEf`;
      this.secretCalls.push(body.SecretId);
      if (!(await this.allows(session, 'secretsmanager:GetSecretValue', arn, account))) return json(400, { __type: 'AccessDeniedException', message: `User: ${session.roleArn} is not authorized to perform: secretsmanager:GetSecretValue on resource: ${body.SecretId}` }, '1.1');
      const secret = this.secrets.get(`${account}/${body.SecretId}`);
      if (secret === undefined) return json(400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." }, '1.1');
      return json(200, { ARN: arn, Name: body.SecretId, SecretString: secret, VersionId: 'v1', VersionStages: ['AWSCURRENT'], CreatedDate: 1763625600 }, '1.1');
    }
    throw new Error(`the fake does not answer ${request.hostname} ${target}`);
  }

  /**
   * Pages as CloudWatch does: the datapoints from StartTime (included) to EndTime (excluded), each
   * result in timestamp order, `PartialData` while more of it follows, then `Complete`; the token
   * counts the datapoints served, all results together.
   */
  private getMetricData(call: GetMetricDataCall): { response: HttpResponse } {
    const all = call.queries.map((query) => {
      const name = query.MetricStat.Metric.Dimensions.find((d) => d.Name === 'ClusterName')?.Value ?? '';
      const recorded = this.metrics.get(name)?.[query.MetricStat.Metric.MetricName] ?? { Timestamps: [], Values: [] };
      const within = recorded.Timestamps.flatMap((timestamp, i) => (timestamp >= call.startTime && timestamp < call.endTime ? [i] : []));
      const series = { Timestamps: within.map((i) => recorded.Timestamps[i]), Values: within.map((i) => recorded.Values[i]) };
      return { query, series };
    });
    let skip = Number(call.nextToken ?? 0);
    let budget = this.pageSize;
    const results = [];
    let remaining = false;
    for (const { query, series } of all) {
      const from = Math.min(skip, series.Timestamps.length);
      skip -= from;
      const take = Math.min(budget, series.Timestamps.length - from);
      budget -= take;
      const complete = from + take === series.Timestamps.length;
      remaining ||= !complete;
      results.push({ Id: query.Id, Label: query.MetricStat.Metric.MetricName, Timestamps: series.Timestamps.slice(from, from + take), Values: series.Values.slice(from, from + take), StatusCode: complete ? 'Complete' : 'PartialData' });
    }
    const served = Number(call.nextToken ?? 0) + (this.pageSize - budget);
    return json(200, { MetricDataResults: results, Messages: [], ...(remaining ? { NextToken: String(served) } : {}) });
  }
}

function json(statusCode: number, body: object, protocol: '1.0' | '1.1' = '1.0'): { response: HttpResponse } {
  return {
    response: new HttpResponse({
      statusCode,
      headers: { 'content-type': `application/x-amz-json-${protocol}`, 'x-amzn-requestid': 'fake' },
      body: Readable.from([Buffer.from(JSON.stringify(body))]),
    }),
  };
}
