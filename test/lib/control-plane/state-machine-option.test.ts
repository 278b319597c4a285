import { Stack } from 'aws-cdk-lib';
import { DefinitionBody, Pass, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { ENV } from '../../../lib/contract/function-environment';
import { SynthesizedControlPlane, synthControlPlane } from '../../support/synth-control-plane';

/**
 * The place left for the provisioning workflow: given a state machine, the clusters function
 * (only) may start executions of it and learns its ARN. Bundling and the compliance checks are
 * skipped (the helper's defaults): this is about wiring only.
 */

let cp: SynthesizedControlPlane;

beforeAll(() => {
  cp = synthControlPlane({
    stateMachine: (app) => {
      const workflowStack = new Stack(app, 'Workflow');
      return new StateMachine(workflowStack, 'Jobs', { definitionBody: DefinitionBody.fromChainable(new Pass(workflowStack, 'Start')) });
    },
  });
});

afterAll(() => cp?.remove());

test('with a state machine, only the clusters function and the upgrade steps (UPDATE jobs) get states:StartExecution on it and its ARN', () => {
  const functions = cp.ofType('AWS::Lambda::Function').map(([, fn]) => fn);
  const withArn = functions.filter((fn) => ENV.stateMachineArn in fn.Properties.Environment.Variables);
  expect(withArn.map((fn) => fn.Properties.Description).sort()).toEqual(['SICI API: the clusters routes', 'SICI fleet: the steps of the upgrade state machine']);

  const given = (JSON.stringify(withArn.map((fn) => fn.Properties.Environment.Variables[ENV.stateMachineArn])));
  expect(given).not.toContain('WorkflowStateMachine');
  const starters = cp
    .ofType('AWS::IAM::ManagedPolicy')
    .filter(([, r]) => JSON.stringify(r.Properties.PolicyDocument).includes('states:StartExecution') && !JSON.stringify(r.Properties.PolicyDocument).includes('FleetUpgradesStateMachine'));
  expect(starters.map(([, r]) => JSON.stringify(r.Properties.Roles).match(/ApiFunctionsClusters|FleetUpgradeSteps/)?.[0]).sort()).toEqual(['ApiFunctionsClusters', 'FleetUpgradeSteps']);
});
