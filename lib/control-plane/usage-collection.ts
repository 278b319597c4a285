import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Dashboard, GraphWidget, MathExpression, TextWidget } from 'aws-cdk-lib/aws-cloudwatch';
import { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { IKey } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { PlatformConfig } from '../config/platform-config';
import { ENV } from '../contract/function-environment';
import { USAGE_METRICS } from '../contract/usage';
import { PROJECT_ROOT, SiciFunction, acknowledgeLambdaOutsideVpc, acknowledgeLambdaWithoutDlq, createSiciFunction } from './sici-function';
import { tenantReaderRoleArns } from './workflow/provisioning-workflow';

/** What the collector does on the state table: reads every team's clusters, writes hourly windows and the price table in force. */
export const COLLECTOR_STATE_TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'] as const;

export interface UsageCollectionProps {
  readonly config: PlatformConfig;
  readonly stateTable: ITable;
  readonly encryptionKey: IKey;
  /** @default every hour (the collector re-reads the last three hours, so a missed run is caught up) */
  readonly collectEvery?: Duration;
  readonly logRetention?: RetentionDays;
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Node-level usage: the scheduled collector (`lambda/workflow/usage-collector.handler.ts`) reads each
 * environment's Container Insights through its `sici-tenant-reader` role (one batched GetMetricData
 * per environment) into the clusters' hourly windows; and one CloudWatch dashboard per environment
 * graphing the usage metrics (`USAGE_METRICS`, written by the ingest route and the collector in
 * embedded metric format) per team and cluster, with the estimated cost.
 */
export class UsageCollection extends Construct {
  public readonly collector: SiciFunction;
  public readonly schedule: Rule;
  public readonly dashboards: Dashboard[];

  constructor(scope: Construct, id: string, props: UsageCollectionProps) {
    super(scope, id);
    this.collector = createSiciFunction(new Construct(this, 'Collector'), {
      config: props.config,
      entry: path.join(PROJECT_ROOT, 'lambda', 'workflow', 'usage-collector.handler.ts'),
      description: 'SICI usage: node usage of every cluster from Container Insights into hourly windows',
      roleDescription: "SICI usage collector: the function's own role",
      serviceName: 'sici-usage-collector',
      encryptionKey: props.encryptionKey,
      environment: { [ENV.stateTable]: props.stateTable.tableName },
      timeout: Duration.minutes(5),
      reservedConcurrency: 1,
      logRetention: props.logRetention,
      logRemovalPolicy: props.removalPolicy,
    });
    const { role, fn } = this.collector;
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: COLLECTOR_STATE_TABLE_ACTIONS.filter((action) => action !== 'dynamodb:Query'), resources: [props.stateTable.tableArn] }),
    );
    // The team index (gsi1) lists each team's clusters; the table itself holds the teams.
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['dynamodb:Query'], resources: [props.stateTable.tableArn, `${props.stateTable.tableArn}/index/gsi1`] }),
    );
    props.encryptionKey.grant(role, 'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey');
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['sts:AssumeRole'], resources: tenantReaderRoleArns(Stack.of(this), props.config) }));

    fn.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(15) });
    this.schedule = new Rule(this, 'CollectSchedule', {
      description: 'SICI: collect node usage into the hourly usage windows',
      schedule: Schedule.rate(props.collectEvery ?? Duration.hours(1)),
      targets: [new LambdaFunction(fn, { retryAttempts: 0, maxEventAge: Duration.minutes(15) })],
    });
    acknowledgeLambdaOutsideVpc(
      fn,
      'The collector reaches DynamoDB, STS and (through the tenant reader role) CloudWatch over AWS public endpoints with IAM auth; it never connects into a tenant VPC.',
    );
    acknowledgeLambdaWithoutDlq(
      fn,
      'Invoked by an hourly EventBridge schedule; each run re-collects the last three hours, so a failed run leaves nothing to replay: the next run writes the same windows. Retries are off for that reason; errors are in the log and metrics.',
    );

    this.dashboards = Object.keys(props.config.environments).map((environment) => usageDashboard(this, environment));
  }
}

/** A dashboard of one environment's usage: a line per team and cluster for each metric (CloudWatch SEARCH over the metric dimensions). */
function usageDashboard(scope: Construct, environment: string): Dashboard {
  const { namespace, ingest, collector } = USAGE_METRICS;
  const search = (metric: string, stat: 'Sum' | 'Maximum', label: string) =>
    new MathExpression({
      expression: `SEARCH('{${namespace},Environment,TeamId,ClusterId} Environment="${environment}" MetricName="${metric}"', '${stat}', 3600)`,
      label,
      period: Duration.hours(1),
    });
  const graph = (title: string, ...metrics: MathExpression[]) => new GraphWidget({ title, left: metrics, width: 12, height: 6 });
  const dashboard = new Dashboard(scope, `Dashboard${environment.replace(/^\w/, (c) => c.toUpperCase())}`, {
    dashboardName: `sici-usage-${environment}`,
    defaultInterval: Duration.days(7),
  });
  dashboard.addWidgets(
    new TextWidget({
      markdown:
        `# SICI usage, environment ${environment}\nOne line per team and cluster (dimensions TeamId, ClusterId). ` +
        'Estimated cost = EstimatedInfrastructureCostUSD (node-hours and cluster hours, written by the hourly collector: graphed with Maximum, since an hour is collected up to three times) + EstimatedScanCostUSD (TiB scanned, per query). The bill is `GET /usage/teams?month=YYYY-MM`.',
      width: 24,
      height: 2,
    }),
  );
  dashboard.addWidgets(
    graph('Queries per hour', search(ingest.queries, 'Sum', 'Queries')),
    graph('Failed queries per hour', search(ingest.failedQueries, 'Sum', 'Failed')),
  );
  dashboard.addWidgets(
    graph('Data scanned per hour (bytes)', search(ingest.dataScanned, 'Sum', 'Scanned')),
    graph('Query CPU seconds per hour', search(ingest.cpuSeconds, 'Sum', 'CPU s')),
  );
  dashboard.addWidgets(
    graph('Node-hours and vCPU-hours', search(collector.nodeHours, 'Maximum', 'Node-hours'), search(collector.vcpuHours, 'Maximum', 'vCPU-hours')),
    graph(
      'Estimated cost per hour (USD)',
      search(collector.estimatedInfrastructureCost, 'Maximum', 'Infrastructure'),
      search(ingest.estimatedScanCost, 'Sum', 'Scanned'),
    ),
  );
  return dashboard;
}
