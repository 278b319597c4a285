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

test('with a state machine, only the clusters function gets states:StartExecution on it and its ARN', () => {
  const functions = cp.ofType('AWS::Lambda::Function').map(([, fn]) => fn);
  const withArn = functions.filter((fn) => ENV.stateMachineArn in fn.Properties.Environment.Variables);
  expect(withArn.map((fn) => fn.Properties.Description)).toEqual(['SICI API: the clusters routes']);

  const starters = cp.ofType('AWS::IAM::ManagedPolicy').filter(([, r]) => JSON.stringify(r.Properties.PolicyDocument).includes('states:StartExecution'));
  expect(starters).toHaveLength(1);
  expect(JSON.stringify(starters[0][1].Properties.Roles)).toContain('Clusters');
});
