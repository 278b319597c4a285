import { App, ValidationError, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { CfnGuardChecks } from './cfn-guard-checks';
import { lit } from './error-code';

/**
 * The compliance checks every synth of the SICI app runs: cdk-nag's AwsSolutions, NIST 800-53 R5
 * and HIPAA Security packs, and cfn-guard with the Control Tower proactive rules. Any finding that
 * is not acknowledged fails the synth (and so `cdk deploy` and every pipeline).
 */
export function addComplianceChecks(app: App): void {
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app),
    new NIST80053R5Checks(app),
    new HIPAASecurityChecks(app),
    new CfnGuardChecks(),
  );
}

/**
 * Acknowledges findings on a construct (and its children), each with its specific reason.
 * Keys are rule ids as the packs print them, e.g. `AwsSolutions-IAM5`, `NIST.800.53.R5-LambdaConcurrency`,
 * or `cfn-guard:<rule_name>`.
 */
export function acknowledgeFindings(scope: IConstruct, findings: Record<string, string>): void {
  Validations.of(scope).acknowledge(
    ...Object.entries(findings).map(([rule, reason]) => ({ id: qualifiedRuleId(rule, scope), reason })),
  );
}

function qualifiedRuleId(rule: string, scope: IConstruct): string {
  if (rule.startsWith('cfn-guard:')) return `cdk-validator-cfnguard::${rule.slice('cfn-guard:'.length)}`;
  const pack = rule.slice(0, rule.indexOf('-'));
  if (!['AwsSolutions', 'NIST.800.53.R5', 'HIPAA.Security'].includes(pack)) {
    throw new ValidationError(
      lit`UnknownComplianceRule`,
      `Unknown compliance rule id "${rule}": expected AwsSolutions-*, NIST.800.53.R5-*, HIPAA.Security-* or cfn-guard:*`,
      scope,
    );
  }
  return `${pack}::${rule}`;
}
