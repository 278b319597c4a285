import type { PolicyStatement } from '../../../lib/access/policy-document';
import type { AssumableDatasource } from '../../../lib/access/tenant-assume-policy';
import { generatedStarburstStatements, IamPolicySimulatorPrecheck, type IamPolicySimulatorPrecheckOptions } from '../../../lambda/workflow/iam-policy-precheck';
import { PermanentError, TransientError } from '../../../lambda/workflow/workflow-errors';
import { tally } from '../../lib/access/simulate';
import { fixtureSpec, type FixtureName } from '../../support/fixtures';
import { FakeAws } from './fake-aws';

/**
 * The tenant policy precheck with the real IAM client against IAM's SimulateCustomPolicy faked at
 * the HTTP boundary (`FakeAws`, three results a page so that pagination is exercised), whose
 * decisions come from the IAM policy simulator over the policy the precheck sends.
 */

function precheck(options: Omit<IamPolicySimulatorPrecheckOptions, 'requestHandler' | 'credentials' | 'region'> = {}) {
  const fake = new FakeAws();
  const credentials = fake.addCaller('arn:aws:sts::999999999999:assumed-role/SiciControlPlane-WorkflowStepsRole/sici-workflow', []);
  return { fake, check: new IamPolicySimulatorPrecheck({ requestHandler: fake, credentials, region: 'us-east-1', ...options }) };
}

/** What a promise rejected with (or resolved to, which then fails the `toBeInstanceOf` that follows). */
const rejection = (promise: Promise<unknown>): Promise<Error> => promise.then((value) => value as Error, (error: Error) => error);

describe('the generated policy', () => {
  // n datasources in a accounts: n + 1 calls (each ExternalId, and none), each over n roles and a unapproved ones.
  test.each<[FixtureName, number, number]>([
    ['M1', 1, 1],
    ['M2', 2, 1],
    ['L', 3, 2],
  ])('%s: resolves with the number of requests, all as generated', async (fixture, n, accounts) => {
    const spec = fixtureSpec(fixture);
    const { fake, check } = precheck();
    const requests = (n + 1) * (n + accounts);
    await expect(check.check(spec)).resolves.toBe(`IAM policy simulator: ${requests} requests as generated`);
    const calls = fake.calls.filter((c) => c.action === 'SimulateCustomPolicy');
    expect(calls).toHaveLength((n + 1) * Math.ceil((n + accounts) / fake.iamPageSize));
    for (const call of calls) {
      expect(JSON.parse(call.params['PolicyInputList.member.1'])).toEqual({ Version: '2012-10-17', Statement: generatedStarburstStatements(spec.datasources) });
      expect(call.params['ActionNames.member.1']).toBe('sts:AssumeRole');
    }
    const withExternalId = calls.filter((c) => c.params['ContextEntries.member.1.ContextKeyName'] === 'sts:ExternalId');
    expect(new Set(withExternalId.map((c) => c.params['ContextEntries.member.1.ContextKeyValues.member.1']))).toEqual(new Set(spec.datasources.map((ds) => ds.externalId)));
    expect(withExternalId.every((c) => c.params['ContextEntries.member.1.ContextKeyType'] === 'string')).toBe(true);
  });

  test('a spec without datasources: nothing to simulate, no call', async () => {
    const { fake, check } = precheck();
    await expect(check.check(fixtureSpec('S'))).resolves.toBe('IAM policy simulator: no datasources, nothing to check');
    expect(fake.calls).toEqual([]);
  });
});

describe('a policy that grants other than generated: PermanentError naming the request', () => {
  const M2 = fixtureSpec('M2');
  const [first, second] = M2.datasources;
  const widened = (extra: (datasources: readonly AssumableDatasource[]) => PolicyStatement[]) => ({
    statementsOf: (datasources: readonly AssumableDatasource[]) => [...generatedStarburstStatements(datasources), ...extra(datasources)],
  });

  test('a wildcard over the owner account\'s roles, even with the ExternalId: the unapproved role opens', async () => {
    const M1 = fixtureSpec('M1');
    const [only] = M1.datasources;
    const options = widened(() => [
      { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: 'arn:aws:iam::444444444444:role/*', Condition: { StringEquals: { 'sts:ExternalId': only.externalId } } },
    ]);
    const error = await rejection(precheck(options).check.check(M1));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toBe(
      `IAM policy simulator: sts:AssumeRole on arn:aws:iam::444444444444:role/sici-unapproved-datasource with the ExternalId of ${only.id} is allowed, generated to be denied`,
    );
  });

  test.each<[string, IamPolicySimulatorPrecheckOptions, RegExp]>([
    [
      'a statement without the ExternalId condition',
      widened(() => [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: second.roleArn }]),
      new RegExp(`^IAM policy simulator: sts:AssumeRole on ${second.roleArn} without an ExternalId is allowed, generated to be denied$`),
    ],
    [
      'one statement shared by two datasources (either ExternalId opens either role)',
      {
        statementsOf: () => [
          { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: [first.roleArn, second.roleArn], Condition: { StringEquals: { 'sts:ExternalId': [first.externalId, second.externalId] } } },
        ],
      },
      new RegExp(`^IAM policy simulator: sts:AssumeRole on ${second.roleArn} with the ExternalId of ${first.id} is allowed, generated to be denied$`),
    ],
    [
      'a datasource left out',
      { statementsOf: (datasources) => generatedStarburstStatements(datasources.slice(1)) },
      new RegExp(`^IAM policy simulator: sts:AssumeRole on ${first.roleArn} with the ExternalId of ${first.id} is implicitDeny, generated to be allowed$`),
    ],
  ])('%s', async (_name, options, message) => {
    const error = await rejection(precheck(options).check.check(M2));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toMatch(message);
  });
});

describe('IAM errors', () => {
  const spec = fixtureSpec('M1');

  test('throttling: TransientError', async () => {
    const { fake, check } = precheck({ maxAttempts: 1 });
    fake.fault = () => ({ status: 400, code: 'Throttling', message: 'Rate exceeded' });
    const error = await rejection(check.check(spec));
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toBe('IAM SimulateCustomPolicy failed: Throttling: Rate exceeded');
  });

  test('the function may not simulate (AccessDenied): PermanentError', async () => {
    const { fake, check } = precheck();
    fake.fault = () => ({ status: 403, code: 'AccessDenied', message: 'not authorized to perform: iam:SimulateCustomPolicy' });
    const error = await rejection(check.check(spec));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toMatch(/^IAM SimulateCustomPolicy failed: AccessDenied: /);
  });
});

afterAll(() => {
  process.stdout.write(`policy precheck: ${tally.evaluated} simulated requests, ${tally.allowed} allowed, ${tally.denied} denied\n`);
});
