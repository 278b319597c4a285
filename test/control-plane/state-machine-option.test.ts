import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Pass, StateMachine, DefinitionBody } from 'aws-cdk-lib/aws-stepfunctions';
import { loadPlatformConfig } from '../../lib/config/load-platform-config';
import { ControlPlaneStack } from '../../lib/control-plane/control-plane-stack';
import { ENV } from '../../lib/contract/function-environment';

/**
 * The place left for the provisioning workflow: given a state machine, the clusters function
 * (only) may start executions of it and learns its ARN. Bundling is skipped here
 * (`aws:cdk:bundling-stacks`), as are the compliance checks: this is about wiring only.
 */
test('with a state machine, only the clusters function gets states:StartExecution on it and its ARN', () => {
  const config = loadPlatformConfig(path.join(__dirname, '..', '..', 'config', 'platform.json'));
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const workflowStack = new Stack(app, 'Workflow');
  const stateMachine = new StateMachine(workflowStack, 'Jobs', { definitionBody: DefinitionBody.fromChainable(new Pass(workflowStack, 'Start')) });
  const stack = new ControlPlaneStack(app, 'SiciControlPlane', { config, stateMachine });
  const template = Template.fromStack(stack).toJSON();

  const functions = Object.values<any>(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function'); // eslint-disable-line @typescript-eslint/no-explicit-any
  const withArn = functions.filter((fn) => ENV.stateMachineArn in fn.Properties.Environment.Variables);
  expect(withArn.map((fn) => fn.Properties.Description)).toEqual(['SICI API: the clusters routes']);

  const starters = Object.values<any>(template.Resources) // eslint-disable-line @typescript-eslint/no-explicit-any
    .filter((r) => r.Type === 'AWS::IAM::ManagedPolicy' && JSON.stringify(r.Properties.PolicyDocument).includes('states:StartExecution'));
  expect(starters).toHaveLength(1);
  expect(JSON.stringify(starters[0].Properties.Roles)).toContain('Clusters');
});
