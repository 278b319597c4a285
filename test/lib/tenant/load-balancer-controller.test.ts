import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { Errors, Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { LoadBalancerController } from '../../../lib/tenant/load-balancer-controller';
import { cdkApp } from '../../support/cdk-app';

/** The controller's own checks; what it deploys is asserted on the synthesized TenantStacks (tenant-stack.test.ts). */
test('a controller version aws-cdk-lib ships no IAM policy for is a ValidationError of the controller', () => {
  const stack = new Stack(cdkApp(), 'Controller', { env: { account: '111111111111', region: 'us-east-1' } });
  const cluster = new eks.Cluster(stack, 'Cluster', {
    version: eks.KubernetesVersion.V1_35,
    defaultCapacityType: eks.DefaultCapacityType.NODEGROUP,
    defaultCapacity: 0,
    kubectlProviderOptions: { kubectlLayer: new KubectlV35Layer(stack, 'KubectlLayer') },
  });
  let error: unknown;
  try {
    new LoadBalancerController(stack, 'LoadBalancerController', { cluster, clusterName: 'sici-c-1', version: eks.AlbControllerVersion.of('v0.0.1') });
  } catch (caught) {
    error = caught;
  }
  expect(Errors.isValidationError(error)).toBe(true);
  expect(error).toMatchObject({
    message: expect.stringMatching(/^aws-cdk-lib ships no IAM policy for AWS Load Balancer Controller v0\.0\.1 \(looked for .*alb-iam_policy-v0\.0\.1\.json\)$/),
    constructPath: 'Controller/LoadBalancerController',
  });
});
