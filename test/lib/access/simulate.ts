import { runSimulation, runUnsafeSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import type { PolicyDocument, PolicyStatement } from '../../../lib/access/policy-document';

export type Decision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

export interface Request {
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  /** The account that owns the resource. */
  readonly resourceAccount: string;
  readonly context?: Record<string, string | string[]>;
}

export interface Policies {
  readonly identity?: PolicyStatement[];
  readonly boundary?: PolicyStatement[];
  /** The role's trust policy or the bucket policy. */
  readonly resource?: PolicyDocument;
}

const doc = (statements: PolicyStatement[]) => ({ Version: '2012-10-17', Statement: statements });

/** Tallies every decision, so that tests can report how much was evaluated. */
export const tally = { evaluated: 0, allowed: 0, denied: 0 };

/**
 * `runUnsafeSimulation` loads a plain resource policy without metadata and then fails reading its
 * name; handed in the already-validated form that iam-policy's `loadPolicy` accepts (the shape of its
 * `createValidatedPolicy`), it carries a name. The comparison with the validated run below would
 * catch this form ever meaning something else.
 */
function unvalidatedForm(simulation: Simulation): Simulation {
  if (!simulation.resourcePolicy) return simulation;
  return {
    ...simulation,
    resourcePolicy: { __validated: true, policyDocument: simulation.resourcePolicy, metadata: { name: 'resource' }, errors: [] },
  };
}

/**
 * Context keys whose variable part follows a colon, such as `kms:EncryptionContext:aws:s3:arn`. IAM
 * evaluates them, and so does the unvalidated run, but the validated run only recognises a variable
 * after a slash (`aws:PrincipalTag/…`) and drops these as not applying to the action. A request that
 * carries one is therefore validated without it (policies, action, resource and its other keys, and
 * the agreement of both runs on that request) and decided by the unvalidated run with it. The tests
 * that use such a key assert allowed as well as denied requests, so a misspelt key cannot pass.
 */
const COLON_VARIABLE_KEY = /^kms:EncryptionContext:.+/;

/** Documents, and shapes of request (action, ARN shape, caller kind, context keys), already validated. */
const validatedDocuments = new Set<string>();
const validatedRequests = new Set<string>();
export const validation = { validatedRuns: 0 };

/**
 * One request through the IAM policy simulator. Until each of its policy documents and its shape of
 * request (action, ARN shape, caller kind, context keys) has been through `runSimulation`, which
 * validates policies, action, resource type and context keys, the request goes through it; the test
 * fails on a simulation error and on any context key the simulator dropped as not applying to the
 * action, so that a typo can never turn into a silent deny. Such a request is also run unvalidated
 * and both decisions must agree. Once everything in it has been validated, a request runs
 * unvalidated only, which is several times faster and keeps tens of thousands of decisions within
 * the suite's time.
 */
export async function decide(request: Request, policies: Policies): Promise<Decision> {
  const simulation: Simulation = {
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: request.resourceAccount },
      contextVariables: { ...(request.context ?? {}) },
    },
    identityPolicies: policies.identity ? [{ name: 'identity', policy: doc(policies.identity) }] : [],
    permissionBoundaryPolicies: policies.boundary ? [{ name: 'boundary', policy: doc(policies.boundary) }] : undefined,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: policies.resource,
  };
  const documents = [policies.identity, policies.boundary, policies.resource].filter((d) => d !== undefined).map((d) => JSON.stringify(d));
  const requestShape = JSON.stringify([
    request.action,
    request.resource.replace(/[^:/]+/g, 'x'),
    request.principal.split(':')[2],
    Object.keys(request.context ?? {}).sort(),
  ]);
  const validated = validatedRequests.has(requestShape) && documents.every((d) => validatedDocuments.has(d));
  let decision: Decision;
  if (!validated) {
    const context = simulation.request.contextVariables;
    const checkable: Simulation = Object.keys(context).some((key) => COLON_VARIABLE_KEY.test(key))
      ? { ...simulation, request: { ...simulation.request, contextVariables: Object.fromEntries(Object.entries(context).filter(([key]) => !COLON_VARIABLE_KEY.test(key))) } }
      : simulation;
    const result = await runSimulation(checkable, {});
    if (result.resultType === 'error') throw new Error(`simulation error: ${JSON.stringify(result.errors)}`);
    // A request on `*` (cloudwatch:GetMetricData of classic metrics) is a 'wildcard' simulation: one result for a statement on `*`, none if nothing allows it.
    const onEverything = result.resultType === 'wildcard' && request.resource === '*' && result.results.length <= 1;
    if (result.resultType !== 'single' && !onEverything) throw new Error(`unexpected ${result.resultType} simulation for ${request.resource}`);
    const ignored = (result.resultType === 'single' ? result.result : result.results[0])?.ignoredContextKeys ?? [];
    if (ignored.length > 0) throw new Error(`context keys ignored for ${request.action}: ${ignored.join(', ')}`);
    const unvalidated = runUnsafeSimulation(unvalidatedForm(checkable), {});
    if (unvalidated !== result.overallResult) throw new Error(`validated (${result.overallResult}) and unvalidated (${unvalidated}) simulations disagree`);
    decision = checkable === simulation ? result.overallResult : runUnsafeSimulation(unvalidatedForm(simulation), {});
    validatedRequests.add(requestShape);
    documents.forEach((d) => validatedDocuments.add(d));
    validation.validatedRuns++;
  } else {
    decision = runUnsafeSimulation(unvalidatedForm(simulation), {});
  }
  tally.evaluated++;
  if (decision === 'Allowed') tally.allowed++;
  else tally.denied++;
  return decision;
}
