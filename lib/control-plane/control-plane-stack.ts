import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { PlatformConfig } from '../config/platform-config';
import { ApiFunctions } from './api-functions';
import { ApiGatewayLoggingRole } from './api-gateway-logging-role';
import { ApiWebAcl } from './api-web-acl';
import { ControlPlaneKey } from './control-plane-key';
import { FleetOperations } from './fleet-operations';
import { ControlPlaneRestApi } from './rest-api';
import { StateTables } from './state-tables';
import { TableBackup } from './table-backup';
import { UsageCollection } from './usage-collection';
import { ProvisioningWorkflow } from './workflow/provisioning-workflow';

export interface ControlPlaneStackProps extends StackProps {
  /** The platform configuration (validated by `loadPlatformConfig`); bundled into the API functions. */
  readonly config: PlatformConfig;

  /**
   * A provisioning workflow made elsewhere, which the clusters function starts instead of the
   * stack's own. The stack then makes no workflow of its own (no spec bucket, runner, workflow
   * function or reconciler): for tests of the API's wiring, or a platform that runs its own.
   *
   * @default - the stack's own `ProvisioningWorkflow`
   */
  readonly stateMachine?: IStateMachine;

  /**
   * Whether this stack sets API Gateway's account-level CloudWatch role (needed for execution
   * logging). Turn it off where the account setting is managed elsewhere (e.g. a landing zone).
   *
   * @default true
   */
  readonly manageApiGatewayAccountRole?: boolean;
}

/**
 * SICI's control plane: the REST API (API Gateway, AWS_IAM, WAF) in front of one Lambda per route
 * group, over the state and audit tables (DynamoDB, KMS, PITR, AWS Backup), and the provisioning
 * workflow (Step Functions, the CodeBuild deploy runner, the TenantSpec bucket, the reconciler)
 * that the clusters function starts, the usage collector with a usage dashboard per environment,
 * and the fleet operations (worker, auto-suspend, drift schedule, upgrade state machine).
 */
export class ControlPlaneStack extends Stack {
  public readonly key: ControlPlaneKey;
  public readonly tables: StateTables;
  public readonly backup: TableBackup;
  public readonly functions: ApiFunctions;
  public readonly restApi: ControlPlaneRestApi;
  public readonly webAcl: ApiWebAcl;
  /** The stack's own provisioning workflow; undefined when `stateMachine` was given. */
  public readonly workflow?: ProvisioningWorkflow;
  /** The node-usage collector and the usage dashboards. */
  public readonly usage: UsageCollection;
  /** The fleet worker, auto-suspend, scheduled drift checks and the upgrade state machine. */
  public readonly fleet: FleetOperations;

  constructor(scope: Construct, id: string, props: ControlPlaneStackProps) {
    super(scope, id, {
      description: 'SICI (Starburst Infrastructure & Control Interface): control plane API and state',
      ...props,
    });

    this.key = new ControlPlaneKey(this, 'Key');
    const encryptionKey = this.key.key;

    this.tables = new StateTables(this, 'Tables', { encryptionKey });
    this.backup = new TableBackup(this, 'Backup', {
      tables: [this.tables.stateTable, this.tables.auditTable],
      encryptionKey,
    });

    if (!props.stateMachine) {
      this.workflow = new ProvisioningWorkflow(this, 'Workflow', {
        config: props.config,
        stateTable: this.tables.stateTable,
        auditTable: this.tables.auditTable,
        encryptionKey,
      });
    }

    const provisioningStateMachine = props.stateMachine ?? this.workflow?.workflow.stateMachine;
    this.fleet = new FleetOperations(this, 'Fleet', {
      config: props.config,
      stateTable: this.tables.stateTable,
      auditTable: this.tables.auditTable,
      encryptionKey,
      provisioningStateMachine,
    });
    this.workflow?.reconcileFleet(this.fleet);

    this.functions = new ApiFunctions(this, 'ApiFunctions', {
      config: props.config,
      stateTable: this.tables.stateTable,
      auditTable: this.tables.auditTable,
      encryptionKey,
      stateMachine: provisioningStateMachine,
      fleetWorker: this.fleet.worker.fn,
      upgradeStateMachine: this.fleet.upgrades.stateMachine,
    });

    this.usage = new UsageCollection(this, 'Usage', { config: props.config, stateTable: this.tables.stateTable, encryptionKey });

    const accountLoggingRole =
      props.manageApiGatewayAccountRole === false ? undefined : new ApiGatewayLoggingRole(this, 'ApiGatewayLoggingRole');
    this.restApi = new ControlPlaneRestApi(this, 'RestApi', {
      functions: this.functions.functions,
      encryptionKey,
      accountLoggingRole,
    });
    this.webAcl = new ApiWebAcl(this, 'WebAcl', { stage: this.restApi.api.deploymentStage, encryptionKey });

    new CfnOutput(this, 'ApiUrl', { description: 'Base URL of the SICI REST API (SigV4)', value: this.restApi.url });
    new CfnOutput(this, 'StateTableName', { description: 'The state table', value: this.tables.stateTable.tableName });
    new CfnOutput(this, 'AuditTableName', { description: 'The audit table', value: this.tables.auditTable.tableName });
    if (this.workflow) {
      new CfnOutput(this, 'WorkflowStateMachineArn', { description: 'The provisioning workflow', value: this.workflow.workflow.stateMachine.stateMachineArn });
      new CfnOutput(this, 'TenantSpecBucketName', { description: 'The TenantSpec bucket', value: this.workflow.specs.bucket.bucketName });
    }
  }
}
