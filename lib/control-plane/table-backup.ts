import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { BackupPlan, BackupPlanRule, BackupResource, BackupVault } from 'aws-cdk-lib/aws-backup';
import { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { acknowledgeFindings } from '../compliance/compliance';

export interface TableBackupProps {
  /** The tables to back up. */
  readonly tables: ITable[];

  /** The key that encrypts the vault's recovery points. */
  readonly encryptionKey: IKey;

  /**
   * The plan's rules.
   *
   * @default daily backups kept 35 days and monthly backups kept one year (warm storage: cold
   * storage of DynamoDB backups needs the account's advanced DynamoDB backup opt-in)
   */
  readonly rules?: BackupPlanRule[];

  /**
   * What happens to the vault (and so the recovery points) when it leaves the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * AWS Backup for the control plane's tables: a KMS-encrypted vault whose recovery points cannot
 * be deleted before their lifecycle ends (not even by an administrator), and a plan selecting the
 * tables. Point-in-time recovery covers the last 35 days of each table; this keeps snapshots
 * beyond that and out of the table's own blast radius (a deleted table loses its PITR, not its
 * recovery points).
 */
export class TableBackup extends Construct {
  public readonly vault: BackupVault;
  public readonly plan: BackupPlan;

  constructor(scope: Construct, id: string, props: TableBackupProps) {
    super(scope, id);
    this.vault = new BackupVault(this, 'Vault', {
      encryptionKey: props.encryptionKey,
      blockRecoveryPointDeletion: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.plan = new BackupPlan(this, 'Plan', {
      backupPlanName: `${Stack.of(this).stackName}-tables`,
      backupVault: this.vault,
      backupPlanRules: props.rules ?? [
        BackupPlanRule.daily(),
        new BackupPlanRule({
          ruleName: 'Monthly1Year',
          scheduleExpression: Schedule.cron({ day: '1', hour: '5', minute: '0' }),
          deleteAfter: Duration.days(365),
        }),
      ],
    });
    const selection = this.plan.addSelection('Tables', {
      resources: props.tables.map((table) => BackupResource.fromDynamoDbTable(table)),
    });
    acknowledgeFindings(selection, {
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]':
        "The AWS Backup service role uses AWS's service-role/AWSBackupServiceRolePolicyForBackup: only backup.amazonaws.com can assume it, and AWS keeps that policy in step with what Backup needs (advanced DynamoDB backups, vault copies, KMS grants); a hand-copied policy would silently break backups when the service changes.",
    });
  }
}
