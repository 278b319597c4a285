import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ITable, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { AUDIT_TABLE_KEYS, STATE_TABLE_KEYS, TableKeys } from '../contract/tables';

export interface StateTablesProps {
  /** The customer managed key that encrypts both tables. */
  readonly encryptionKey: IKey;

  /**
   * What happens to the tables when they leave the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Whether DynamoDB refuses to delete the tables (even through CloudFormation).
   *
   * @default true
   */
  readonly deletionProtection?: boolean;
}

/**
 * The control plane's two DynamoDB tables, with the key design of `lambda/core/tables.ts` (the
 * same constants the local control plane creates its tables from):
 *
 * - `stateTable`: the single-table state (clusters, jobs, events, teams, idempotency records...),
 *   with its GSIs and the TTL attribute that expires query records and idempotency answers.
 * - `auditTable`: append-only audit records; writers get `dynamodb:PutItem` and nothing else
 *   (see `ApiFunctions`), GSI `byActor`. No TTL: audit records are never expired by DynamoDB.
 *
 * Both are on-demand, encrypted with the customer managed key, with point-in-time recovery and
 * deletion protection, and retained when removed from the stack.
 */
export class StateTables extends Construct {
  public readonly stateTable: Table;
  public readonly auditTable: Table;

  constructor(scope: Construct, id: string, props: StateTablesProps) {
    super(scope, id);
    this.stateTable = this.table('StateTable', STATE_TABLE_KEYS, STATE_TABLE_KEYS.ttlAttribute, props);
    this.auditTable = this.table('AuditTable', AUDIT_TABLE_KEYS, undefined, props);
  }

  private table(id: string, keys: TableKeys, ttlAttribute: string | undefined, props: StateTablesProps): Table {
    const table = new Table(this, id, {
      partitionKey: { name: keys.partitionKey, type: AttributeType.STRING },
      sortKey: { name: keys.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.encryptionKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.deletionProtection ?? true,
      timeToLiveAttribute: ttlAttribute,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    for (const index of keys.indexes) {
      table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
      });
    }
    return table;
  }
}

/** ARNs of a table's global secondary indexes, by name (no `index/*` wildcard in any grant). */
export function indexArns(table: ITable, keys: TableKeys): string[] {
  return keys.indexes.map((index) => `${table.tableArn}/index/${index.name}`);
}
