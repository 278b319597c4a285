/**
 * IAM policy documents as plain JSON, the shape IAM, S3 and CloudFormation take. Pure TypeScript (no
 * aws-cdk-lib), so the control plane can hand the same documents to data owners that CDK deploys.
 */

export const POLICY_VERSION = '2012-10-17';

export type ConditionBlock = Record<string, Record<string, string | string[]>>;

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  /** Only in resource policies (role trust policies, bucket policies). */
  readonly Principal?: '*' | { readonly AWS: string | string[] } | { readonly Service: string | string[] };
  readonly Action: string | string[];
  /** Absent only in role trust policies, where the role itself is the resource. */
  readonly Resource?: string | string[];
  readonly Condition?: ConditionBlock;
}

export interface PolicyDocument {
  readonly Version: typeof POLICY_VERSION;
  readonly Statement: PolicyStatement[];
}

export function policyDocument(statements: PolicyStatement[]): PolicyDocument {
  return { Version: POLICY_VERSION, Statement: statements };
}

/** A statement id from free text: IAM accepts only ASCII letters and digits in a `Sid`. */
export function sidPart(text: string): string {
  return text.replace(/[^A-Za-z0-9]/g, '');
}
