import { AddToPrincipalPolicyResult, ManagedPolicy, PolicyStatement, Role, RoleProps } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * An IAM role whose every grant lands in one customer managed policy of its own
 * (`AWS::IAM::ManagedPolicy`) instead of an inline default policy (`AWS::IAM::Policy`).
 *
 * NIST 800-53 R5 and HIPAA Security (IAMNoInlinePolicy) refuse inline policies; with this role,
 * `table.grant(role, ...)`, `key.grant(role, ...)`, `logGroup.grantWrite(role)` and the statements
 * that constructs add themselves (e.g. X-Ray for a traced Lambda) all keep working, unchanged.
 * The policy is created on the first grant, so a role with no grant has no empty policy.
 */
export class ManagedPolicyRole extends Role {
  private grantsPolicy?: ManagedPolicy;

  constructor(scope: Construct, id: string, props: RoleProps) {
    super(scope, id, props);
  }

  /** The customer managed policy holding this role's grants, if any grant was made. */
  public get policy(): ManagedPolicy | undefined {
    return this.grantsPolicy;
  }

  public override addToPrincipalPolicy(statement: PolicyStatement): AddToPrincipalPolicyResult {
    if (!this.grantsPolicy) {
      this.grantsPolicy = new ManagedPolicy(this, 'Grants', {
        description: `Permissions of ${this.node.path}`,
        roles: [this],
      });
    }
    this.grantsPolicy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.grantsPolicy };
  }
}
