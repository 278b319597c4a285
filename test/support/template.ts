import type { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';

export { Match, Template };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a synthesized template's JSON has no static type; tests walk it as they find it
export type Json = any;

/** A resource of a synthesized template. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Json;
  readonly DependsOn?: string[];
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

/**
 * A synthesized template: `template` asserts with `Template`/`Match` (aws-cdk-lib/assertions), and
 * the walkers below read what those cannot express (a resource found by its properties, every
 * statement of every policy, references between resources).
 */
export class TemplateJson {
  static fromStack(stack: Stack): TemplateJson {
    return new TemplateJson(Template.fromStack(stack).toJSON());
  }

  readonly template: Template;
  readonly resources: Record<string, TemplateResource>;

  constructor(readonly json: Json) {
    this.template = Template.fromJSON(json);
    this.resources = json.Resources;
  }

  /** The resources of a type, as `[logical id, resource]`, in template order. */
  ofType(type: string): Array<[string, TemplateResource]> {
    return Object.entries(this.resources).filter(([, resource]) => resource.Type === type);
  }

  /** The one resource of a type; fails the test when there is not exactly one. */
  onlyOfType(type: string): [string, TemplateResource] {
    const found = this.ofType(type);
    expect(found.map(([id]) => id)).toHaveLength(1);
    return found[0];
  }

  /** Logical ids of the resources of a type whose properties satisfy `predicate`. */
  logicalIds(type: string, predicate: (properties: Json) => boolean = () => true): string[] {
    return this.ofType(type)
      .filter(([, resource]) => predicate(resource.Properties ?? {}))
      .map(([id]) => id);
  }

  /** Every statement of every policy document: IAM policies, trust and inline policies of roles, key and resource policies. */
  allStatements(): Array<{ owner: string; statement: Json }> {
    const found: Array<{ owner: string; statement: Json }> = [];
    const visit = (owner: string, node: unknown) => {
      if (Array.isArray(node)) node.forEach((child) => visit(owner, child));
      else if (node && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === 'Statement') asArray(value).forEach((statement) => found.push({ owner, statement }));
          else visit(owner, value);
        }
      }
    };
    for (const [id, resource] of Object.entries(this.resources)) visit(id, resource.Properties);
    return found;
  }

  /** Statements of the identity policies: managed and inline policies, and the inline policies of roles (not trust, key or resource policies). */
  identityStatements(): Json[] {
    const statements: Json[] = [];
    for (const resource of Object.values(this.resources)) {
      if (resource.Type === 'AWS::IAM::ManagedPolicy' || resource.Type === 'AWS::IAM::Policy') {
        statements.push(...resource.Properties.PolicyDocument.Statement);
      }
      if (resource.Type === 'AWS::IAM::Role') {
        for (const policy of resource.Properties.Policies ?? []) statements.push(...policy.PolicyDocument.Statement);
      }
    }
    return statements;
  }

  /** Statements of the customer managed policies attached to a role. */
  statementsOfRole(roleId: string): Json[] {
    return this.ofType('AWS::IAM::ManagedPolicy')
      .filter(([, policy]) => mentions(policy.Properties.Roles, roleId))
      .flatMap(([, policy]) => asArray(policy.Properties.PolicyDocument.Statement));
  }
}

/** Whether a template fragment names a logical id (in a `Ref`, a `Fn::GetAtt`, a `DependsOn`, ...). */
export function mentions(value: unknown, logicalId: string): boolean {
  return JSON.stringify(value ?? null).includes(`"${logicalId}"`);
}

/** A template value that may be one item or a list (an `Action`, a `Resource`), as a list. */
export function asArray<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** An ARN of a template, its tokens spelled out (`<Logical.Arn>`, `<AWS::Partition>`), for comparing with expected ARNs. */
export function renderArn(value: Json): string {
  if (typeof value === 'string') return value;
  if (value['Fn::Join']) return value['Fn::Join'][1].map(renderArn).join(value['Fn::Join'][0]);
  if (value.Ref) return `<${value.Ref}>`;
  if (value['Fn::GetAtt']) return `<${value['Fn::GetAtt'].join('.')}>`;
  return JSON.stringify(value);
}
