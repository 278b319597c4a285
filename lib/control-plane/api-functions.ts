import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { IKey } from 'aws-cdk-lib/aws-kms';
import { IFunction } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { PlatformConfig } from '../config/platform-config';
import { ROUTES, RouteGroup } from '../contract/routes';
import { ENV } from '../contract/function-environment';
import { AUDIT_TABLE_KEYS, STATE_TABLE_KEYS } from '../contract/tables';
import { ManagedPolicyRole } from './managed-policy-role';
import { PROJECT_ROOT, acknowledgeLambdaOutsideVpc, acknowledgeLambdaWithoutDlq, createSiciFunction } from './sici-function';
import { indexArns } from './state-tables';
import { tenantReaderRoleArns } from './workflow/provisioning-workflow';

/** The route groups of the API, in the order of the route table; one function serves each. */
export const ROUTE_GROUPS: readonly RouteGroup[] = [...new Set(ROUTES.map((route) => route.group))];

/**
 * What each group's function may do on the state table: item actions on the table itself, and
 * `dynamodb:Query` on the table and its indexes. Every list route is a Query (never a Scan), and
 * a transaction (`TransactWriteItems`) needs the action of each item it holds (Put, Update,
 * ConditionCheck, Delete), so these lists are also what the group's transactions may contain.
 */
export const STATE_TABLE_ACTIONS: Record<RouteGroup, readonly string[]> = {
  // Clusters: read caller/team/cluster, create a cluster + job + team count + idempotency answer
  // in one transaction, conditional status transitions. Clusters are never deleted (DELETED is
  // a status kept for audit and billing), so no DeleteItem.
  clusters: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem', 'dynamodb:Query'],
  // Jobs: read-only.
  jobs: ['dynamodb:GetItem', 'dynamodb:Query'],
  // Teams: replacing a team's principals deletes the PRINCIPAL# items it no longer has.
  teams: [
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:ConditionCheckItem',
    'dynamodb:Query',
  ],
  // Usage: a cluster's usage windows and query records, the price tables they name, and (for the
  // chargeback) every team's clusters: reads only.
  usage: ['dynamodb:GetItem', 'dynamodb:Query'],
  // Ingest: a query record and its hourly window in one transaction (Put + Update), the digest of a
  // rotated ingest token on the cluster, the price table in force (Put once per version).
  ingest: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  // Fleet: selects clusters by index (Query), records operations and upgrade runs with their
  // audit record (transactions), marks clusters suspended.
  fleet: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem', 'dynamodb:Query'],
  // Audit: reads the audit table only (see AUDIT_READING_GROUPS); nothing on the state table but the caller's registration.
  audit: ['dynamodb:GetItem', 'dynamodb:Query'],
};

/** Groups whose routes change state: their calls are audited, so they (only) may append to the audit table. */
export const AUDITING_GROUPS: readonly RouteGroup[] = ROUTE_GROUPS.filter((group) =>
  ROUTES.some((route) => route.group === group && route.mutating),
);

/** Groups that start provisioning jobs (answers 202 with a job): they get the workflow, when there is one. */
const WORKFLOW_GROUPS: readonly RouteGroup[] = ['clusters'];

/** Groups that start fleet work (shutdown, resume, drift checks) and upgrade runs. */
const FLEET_GROUPS: readonly RouteGroup[] = ['fleet'];

/** Groups that read the audit trail: Query on the audit table and its indexes, and no write (the writers have PutItem only). */
export const AUDIT_READING_GROUPS: readonly RouteGroup[] = ['audit'];

/** Groups that read environment accounts through their `sici-tenant-reader` role: the ingest route looks up a rotated ingest token there. */
const TENANT_READER_GROUPS: readonly RouteGroup[] = ['ingest'];

export interface ApiFunctionsProps {
  /** The platform configuration, bundled into each function (esbuild `define`), validated at start. */
  readonly config: PlatformConfig;

  readonly stateTable: ITable;
  readonly auditTable: ITable;

  /** The key of the tables; it also encrypts the functions' log groups. */
  readonly encryptionKey: IKey;

  /**
   * The provisioning workflow. When given, the groups of `WORKFLOW_GROUPS` get
   * `states:StartExecution` on it and its ARN in `SICI_STATE_MACHINE_ARN`.
   *
   * @default - no workflow: no function can start an execution
   */
  readonly stateMachine?: IStateMachine;

  /** The fleet worker: the fleet group may invoke it (asynchronously) and gets its name. @default none */
  readonly fleetWorker?: IFunction;

  /** The fleet upgrade state machine: the fleet group may start it and gets its ARN. @default none */
  readonly upgradeStateMachine?: IStateMachine;

  /**
   * Folder holding one entry `<group>.handler.ts` per route group, each exporting `handler`.
   *
   * @default `lambda/api` of this repository
   */
  readonly entryDirectory?: string;

  /**
   * Reserved concurrency of each function: a ceiling that keeps one group from starving the
   * others (and the account), and a floor that the rest of the account cannot take.
   *
   * @default 10 (the stage throttles at 50 requests/s; at ~100 ms a call that is 5 in flight)
   */
  readonly reservedConcurrency?: number;

  /** @default 512 MiB (arm64: more memory is more CPU, which shortens cold starts) */
  readonly memorySize?: number;

  /** @default 10 seconds (API Gateway gives up at 29 seconds; DynamoDB calls take milliseconds) */
  readonly timeout?: Duration;

  /** Retention of each function's log group. @default one year (Control Tower CT.CLOUDWATCH.PR.2 wants 365 days) */
  readonly logRetention?: RetentionDays;

  /** @default RemovalPolicy.RETAIN for the log groups */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The API's Lambda functions: one `NodejsFunction` per route group (`lambda/api/<group>.handler.ts`),
 * each with its own role, its own KMS-encrypted log group and only the permissions its routes
 * need. See `STATE_TABLE_ACTIONS`, `AUDITING_GROUPS` and `WORKFLOW_GROUPS`.
 *
 * Runtime, bundling and logging follow the conventions of `createSiciFunction`.
 */
export class ApiFunctions extends Construct {
  /** The function of each route group. */
  public readonly functions: Record<RouteGroup, NodejsFunction>;
  /** The role of each function (a `ManagedPolicyRole`: grants go to a customer managed policy). */
  public readonly roles: Record<RouteGroup, ManagedPolicyRole>;

  constructor(scope: Construct, id: string, props: ApiFunctionsProps) {
    super(scope, id);
    const functions: Partial<Record<RouteGroup, NodejsFunction>> = {};
    const roles: Partial<Record<RouteGroup, ManagedPolicyRole>> = {};
    for (const group of ROUTE_GROUPS) {
      const { fn, role } = this.groupFunction(group, props);
      functions[group] = fn;
      roles[group] = role;
    }
    this.functions = functions as Record<RouteGroup, NodejsFunction>;
    this.roles = roles as Record<RouteGroup, ManagedPolicyRole>;
  }

  private groupFunction(group: RouteGroup, props: ApiFunctionsProps): { fn: NodejsFunction; role: ManagedPolicyRole } {
    const scope = new Construct(this, pascalCase(group));
    const entryDirectory = props.entryDirectory ?? path.join(PROJECT_ROOT, 'lambda', 'api');

    const { fn, role } = createSiciFunction(scope, {
      config: props.config,
      entry: path.join(entryDirectory, `${group}.handler.ts`),
      description: `SICI API: the ${group} routes`,
      roleDescription: `SICI API, ${group} routes: the function's own role`,
      serviceName: `sici-api-${group}`,
      encryptionKey: props.encryptionKey,
      environment: {
        [ENV.stateTable]: props.stateTable.tableName,
        [ENV.auditTable]: props.auditTable.tableName,
      },
      memorySize: props.memorySize,
      timeout: props.timeout,
      reservedConcurrency: props.reservedConcurrency,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });

    this.grantStateTable(group, role, props);
    if (AUDITING_GROUPS.includes(group)) {
      // Append-only: PutItem (with attribute_not_exists in the code) and nothing else, not even reads.
      role.addToPrincipalPolicy(new PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [props.auditTable.tableArn] }));
    }
    if (AUDIT_READING_GROUPS.includes(group)) {
      role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['dynamodb:Query'], resources: [props.auditTable.tableArn, ...indexArns(props.auditTable, AUDIT_TABLE_KEYS)] }),
      );
    }
    if (props.fleetWorker && FLEET_GROUPS.includes(group)) {
      role.addToPrincipalPolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.fleetWorker.functionArn] }));
      fn.addEnvironment(ENV.fleetWorkerFunction, props.fleetWorker.functionName);
    }
    if (props.upgradeStateMachine && FLEET_GROUPS.includes(group)) {
      props.upgradeStateMachine.grantStartExecution(role);
      fn.addEnvironment(ENV.upgradeStateMachineArn, props.upgradeStateMachine.stateMachineArn);
    }
    const writes = STATE_TABLE_ACTIONS[group].some((action) => !['dynamodb:GetItem', 'dynamodb:Query'].includes(action));
    props.encryptionKey.grant(
      role,
      ...(writes || AUDITING_GROUPS.includes(group)
        ? ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']
        : ['kms:Decrypt', 'kms:DescribeKey']),
    );
    if (props.stateMachine && WORKFLOW_GROUPS.includes(group)) {
      props.stateMachine.grantStartExecution(role);
      fn.addEnvironment(ENV.stateMachineArn, props.stateMachine.stateMachineArn);
    }

    if (TENANT_READER_GROUPS.includes(group)) {
      role.addToPrincipalPolicy(new PolicyStatement({ actions: ['sts:AssumeRole'], resources: tenantReaderRoleArns(Stack.of(this), props.config) }));
    }

    const outsideVpc =
      'API Lambdas reach only DynamoDB and Step Functions over AWS public endpoints with IAM auth; a VPC would add NAT/endpoint cost with no data-plane access to protect.';
    acknowledgeLambdaOutsideVpc(fn, outsideVpc);
    acknowledgeLambdaWithoutDlq(
      fn,
      'Invoked synchronously by API Gateway only; a DLQ receives failed asynchronous invocations, of which there are none. Failures are answered to the caller as problem+json and logged.',
    );
    return { fn, role };
  }

  private grantStateTable(group: RouteGroup, role: ManagedPolicyRole, props: ApiFunctionsProps): void {
    // Explicit statements rather than table.grant(): that one adds `<table>/index/*` for every action.
    const actions = STATE_TABLE_ACTIONS[group];
    const itemActions = actions.filter((action) => action !== 'dynamodb:Query');
    if (itemActions.length) {
      role.addToPrincipalPolicy(new PolicyStatement({ actions: itemActions, resources: [props.stateTable.tableArn] }));
    }
    if (actions.includes('dynamodb:Query')) {
      role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['dynamodb:Query'],
          resources: [props.stateTable.tableArn, ...indexArns(props.stateTable, STATE_TABLE_KEYS)],
        }),
      );
    }
  }
}

/** `clusters` → `Clusters`: construct ids of the groups. */
function pascalCase(name: string): string {
  return name.replace(/(^|[-_])(\w)/g, (_, __, letter: string) => letter.toUpperCase());
}
