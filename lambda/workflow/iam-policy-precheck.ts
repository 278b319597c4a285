import { IAMClient, SimulateCustomPolicyCommand, type ContextEntry, type EvaluationResult } from '@aws-sdk/client-iam';
import { policyDocument, type PolicyStatement } from '../../lib/access/policy-document';
import { tenantAssumeStatements, tenantTagSessionStatements, type AssumableDatasource } from '../../lib/access/tenant-assume-policy';
import type { TenantSpec } from '../../lib/contract/tenant-spec';
import type { TenantPolicyPrecheck } from './ports';
import type { AwsClientOptions } from './sts-s3-access-probe';
import { PermanentError, TransientError } from './workflow-errors';

/** The cross-account part of the Starburst role's identity policy, as `StarburstRole` deploys it. */
export function generatedStarburstStatements(datasources: readonly AssumableDatasource[]): PolicyStatement[] {
  return [...tenantAssumeStatements(datasources), ...tenantTagSessionStatements(datasources)];
}

export interface IamPolicySimulatorPrecheckOptions extends AwsClientOptions {
  /** Where the IAM client is configured (IAM itself is global in each partition). @default the function's region (`AWS_REGION`) */
  readonly region?: string;
  /** The statements to check. @default `generatedStarburstStatements`, what the tenant stack deploys */
  readonly statementsOf?: (datasources: readonly AssumableDatasource[]) => PolicyStatement[];
}

/** A role in a datasource's account that the spec does not name: no ExternalId may open it. */
const UNAPPROVED_ROLE_NAME = 'sici-unapproved-datasource';

interface Expectation {
  readonly resource: string;
  readonly allowed: boolean;
}

/** One SimulateCustomPolicy call: every role of the check under one ExternalId (or none). */
interface Simulation {
  /** How the requests are named in errors, e.g. `with the ExternalId of ds-…`. */
  readonly label: string;
  readonly context: ContextEntry[];
  readonly expected: Expectation[];
}

/**
 * Simulates the Starburst role's AssumeRole permissions in IAM's policy simulator before a spec is
 * deployed: each datasource's role opens with its own ExternalId only (not without one, not with
 * another datasource's), and a role of the same account that the spec does not name never opens.
 * One call per ExternalId (and one without), each over every role.
 */
export class IamPolicySimulatorPrecheck implements TenantPolicyPrecheck {
  private readonly iam: IAMClient;
  private readonly statementsOf: (datasources: readonly AssumableDatasource[]) => PolicyStatement[];

  constructor(options: IamPolicySimulatorPrecheckOptions = {}) {
    this.iam = new IAMClient({ region: options.region, requestHandler: options.requestHandler, credentials: options.credentials, maxAttempts: options.maxAttempts });
    this.statementsOf = options.statementsOf ?? generatedStarburstStatements;
  }

  async check(spec: TenantSpec): Promise<string> {
    if (spec.datasources.length === 0) return 'IAM policy simulator: no datasources, nothing to check';
    const policy = JSON.stringify(policyDocument(this.statementsOf(spec.datasources)));
    const roles = [...spec.datasources.map((ds) => ds.roleArn), ...unapprovedRoles(spec)];
    const simulations: Simulation[] = [
      { label: 'without an ExternalId', context: [], expected: roles.map((resource) => ({ resource, allowed: false })) },
      ...spec.datasources.map((ds) => ({
        label: `with the ExternalId of ${ds.id}`,
        context: [{ ContextKeyName: 'sts:ExternalId', ContextKeyType: 'string' as const, ContextKeyValues: [ds.externalId] }],
        expected: roles.map((resource) => ({ resource, allowed: resource === ds.roleArn })),
      })),
    ];
    let requests = 0;
    for (const simulation of simulations) {
      const results = await this.simulate(policy, simulation);
      for (const { resource, allowed } of simulation.expected) {
        const decision = results.get(resource);
        const request = `sts:AssumeRole on ${resource} ${simulation.label}`;
        if (decision === undefined) throw new PermanentError(`IAM policy simulator: no decision for ${request}`);
        if ((decision === 'allowed') !== allowed) {
          throw new PermanentError(`IAM policy simulator: ${request} is ${decision}, generated to be ${allowed ? 'allowed' : 'denied'}`);
        }
        requests++;
      }
    }
    return `IAM policy simulator: ${requests} requests as generated`;
  }

  /** The decision for each role, over every page of the answer. */
  private async simulate(policy: string, simulation: Simulation): Promise<Map<string, string>> {
    const decisions = new Map<string, string>();
    let marker: string | undefined;
    do {
      const page = await this.send(
        new SimulateCustomPolicyCommand({
          PolicyInputList: [policy],
          ActionNames: ['sts:AssumeRole'],
          ResourceArns: simulation.expected.map((e) => e.resource),
          ContextEntries: simulation.context.length > 0 ? simulation.context : undefined,
          Marker: marker,
        }),
      );
      for (const result of page.EvaluationResults ?? []) addDecision(decisions, result);
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
    return decisions;
  }

  private async send(command: SimulateCustomPolicyCommand) {
    try {
      return await this.iam.send(command);
    } catch (error) {
      const e = error as { name?: string; message?: string; $fault?: string; $metadata?: { httpStatusCode?: number } };
      const status = e.$metadata?.httpStatusCode;
      const transient = e.$fault === 'server' || e.name === 'Throttling' || status === undefined || status === 429 || status >= 500;
      const message = `IAM SimulateCustomPolicy failed: ${e.name}: ${e.message}`;
      throw transient ? new TransientError(message) : new PermanentError(message);
    }
  }
}

function addDecision(decisions: Map<string, string>, result: EvaluationResult): void {
  if (result.EvalActionName !== 'sts:AssumeRole' || !result.EvalResourceName || !result.EvalDecision) return;
  decisions.set(result.EvalResourceName, result.EvalDecision);
}

/** One unapproved role per account of the spec's datasources, in the same partition. */
function unapprovedRoles(spec: TenantSpec): string[] {
  const named = new Set(spec.datasources.map((ds) => ds.roleArn));
  const roles = spec.datasources.map((ds) => `${ds.roleArn.slice(0, ds.roleArn.indexOf(':role/'))}:role/${UNAPPROVED_ROLE_NAME}`);
  return [...new Set(roles)].filter((role) => !named.has(role));
}
