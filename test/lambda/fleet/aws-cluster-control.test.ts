import { loadPlatformConfig } from '../../../lib/config/load-platform-config';
import { SUSPENDED_RESPONSE_BODY } from '../../../lib/contract/tenant-runtime-names';
import { AwsClusterControl } from '../../../lambda/fleet/aws-cluster-control';
import type { ControlledCluster } from '../../../lambda/fleet/cluster-control';
import { FakeOperatorAws } from './fake-operator-aws';

const config = loadPlatformConfig('config/platform.json');
const dev = config.environments.dev!;
const CLUSTER: ControlledCluster = { clusterId: 'c-0123456789abcdef', teamId: 'analytics', environment: 'dev', tier: 'M' };
const LISTENER = `arn:aws:elasticloadbalancing:${dev.region}:${dev.account}:listener/app/k8s-starburs-sicique-0a1b2c3d4e/50dc6c495c0c9188/f2f7dc8efc522ab2`;

function world(statements?: ConstructorParameters<typeof FakeOperatorAws>[2]) {
  const aws = new FakeOperatorAws(dev.account, dev.region, statements);
  aws.nodegroups.set('sici-c-0123456789abcdef', [
    { name: 'Coordinator-abc', role: 'coordinator', scaling: { minSize: 1, desiredSize: 1, maxSize: 1 } },
    { name: 'Workers-def', role: 'worker', scaling: { minSize: 4, desiredSize: 4, maxSize: 4 } },
  ]);
  // Another tenant's ALB first, and enough of them that DescribeTags pages (20 ARNs a call).
  for (let n = 0; n < 25; n++) {
    aws.loadBalancers.push({
      arn: `arn:aws:elasticloadbalancing:${dev.region}:${dev.account}:loadbalancer/app/other-${n}/${n}`,
      tags: { 'elbv2.k8s.aws/cluster': `sici-c-00000000000000${String(n).padStart(2, '0')}`, 'ingress.k8s.aws/stack': 'starburst/sici-query' },
      listenerArn: `${LISTENER}-other-${n}`,
      rules: [],
    });
  }
  aws.loadBalancers.push({
    arn: `arn:aws:elasticloadbalancing:${dev.region}:${dev.account}:loadbalancer/app/k8s-starburs-sicique-0a1b2c3d4e/50dc6c495c0c9188`,
    tags: { 'elbv2.k8s.aws/cluster': 'sici-c-0123456789abcdef', 'ingress.k8s.aws/stack': 'starburst/sici-query', 'ingress.k8s.aws/resource': 'LoadBalancer' },
    listenerArn: LISTENER,
    rules: [
      { arn: `${LISTENER.replace(':listener/', ':listener-rule/')}/controller-1`, priority: '1', isDefault: false },
      { arn: `${LISTENER.replace(':listener/', ':listener-rule/')}/default`, priority: 'default', isDefault: true },
    ],
  });
  const control = new AwsClusterControl(config, { requestHandler: aws, credentials: aws.addWorker() });
  return { aws, control, rules: () => aws.loadBalancers.at(-1)!.rules };
}

describe('AwsClusterControl through the sici-tenant-operator role', () => {
  it('blocks the query endpoint with a 503 rule above the controller’s, idempotently, and unblocks it', async () => {
    const { aws, control, rules } = world();
    expect(await control.blockEndpoint(CLUSTER)).toContain('answers 503');
    const block = rules().find((rule) => rule.fixedResponseBody === SUSPENDED_RESPONSE_BODY);
    expect(block?.priority).toBe('1');
    expect(rules().find((rule) => rule.arn.endsWith('/controller-1'))?.priority).toBe('2');
    expect(await control.blockEndpoint(CLUSTER)).toContain('already blocked');
    expect(rules().filter((rule) => rule.fixedResponseBody !== undefined)).toHaveLength(1);
    // Other tenants' load balancers are left alone.
    expect(aws.loadBalancers.slice(0, 25).every((lb) => lb.rules.length === 0)).toBe(true);

    expect(await control.unblockEndpoint(CLUSTER)).toContain('forwards');
    expect(rules().some((rule) => rule.fixedResponseBody !== undefined)).toBe(false);
    expect(aws.calls.every((call) => call.allowed)).toBe(true);
  });

  it('scales every node group to zero and back to the tier’s counts, skipping groups already there', async () => {
    const { aws, control } = world();
    await control.scaleToZero(CLUSTER);
    expect(aws.nodegroups.get('sici-c-0123456789abcdef')!.map((group) => group.scaling)).toEqual([
      { minSize: 0, desiredSize: 0, maxSize: 1 },
      { minSize: 0, desiredSize: 0, maxSize: 4 },
    ]);
    await control.scaleToZero(CLUSTER); // EKS refuses an update that changes nothing: none is sent
    await control.restoreScale(CLUSTER, { coordinator: 1, worker: 4 });
    expect(aws.nodegroups.get('sici-c-0123456789abcdef')!.map((group) => group.scaling)).toEqual([
      { minSize: 1, desiredSize: 1, maxSize: 1 },
      { minSize: 4, desiredSize: 4, maxSize: 4 },
    ]);
    expect(aws.calls.filter((call) => call.action === 'eks:UpdateNodegroupConfig')).toHaveLength(4);
    expect(aws.calls.every((call) => call.allowed)).toBe(true);
  });

  it('is refused by IAM when the operator role lacks the policy', async () => {
    const { control } = world([]);
    await expect(control.scaleToZero(CLUSTER)).rejects.toThrow(/not authorized/);
    await expect(control.blockEndpoint(CLUSTER)).rejects.toThrow(/not authorized/);
  });

  it('finds nothing to block for a cluster without a query load balancer', async () => {
    const { control } = world();
    expect(await control.blockEndpoint({ ...CLUSTER, clusterId: 'c-ffffffffffffffff' })).toContain('nothing to block');
  });
});
