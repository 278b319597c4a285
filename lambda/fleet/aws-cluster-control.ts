import { DescribeNodegroupCommand, EKSClient, ListNodegroupsCommand, UpdateNodegroupConfigCommand } from '@aws-sdk/client-eks';
import {
  CreateRuleCommand,
  DeleteRuleCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  ElasticLoadBalancingV2Client,
  SetRulePrioritiesCommand,
  type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { TENANT_OPERATOR_ROLE_NAME } from '../../lib/access/tenant-operator-policy';
import type { EnvironmentConfig, PlatformConfig } from '../../lib/config/platform-config';
import { tenantClusterName } from '../../lib/contract/tenant-spec';
import { ENGINE_NAMESPACE, NODE_ROLE_LABEL, QUERY_INGRESS_NAME, SUSPENDED_RESPONSE_BODY } from '../../lib/contract/tenant-runtime-names';
import { environmentRoleCredentials, type AwsClientOptions } from '../core/tenant-reader';
import type { ClusterControl, ControlledCluster, NodeCounts } from './cluster-control';

/** Tags the AWS Load Balancer Controller puts on the ALB it makes for an Ingress. */
const CONTROLLER_CLUSTER_TAG = 'elbv2.k8s.aws/cluster';
const CONTROLLER_STACK_TAG = 'ingress.k8s.aws/stack';
const QUERY_INGRESS_STACK = `${ENGINE_NAMESPACE}/${QUERY_INGRESS_NAME}`;
/** DescribeTags takes at most this many ARNs. */
const TAGS_PER_CALL = 20;

interface EnvironmentClients {
  readonly eks: EKSClient;
  readonly elb: ElasticLoadBalancingV2Client;
  /** ALB ARN by EKS cluster name, of the query ingresses found so far. */
  loadBalancers?: Promise<Map<string, string>>;
}

/**
 * The cluster control in AWS: direct API calls in the environment's account through its
 * `sici-tenant-operator` role. Blocking adds a rule at the top of the query ALB's HTTPS listener
 * that answers 503 (the ALB is the AWS Load Balancer Controller's, found by its tags); unblocking
 * deletes it. Scaling updates each of the cluster's EKS managed node groups.
 */
export class AwsClusterControl implements ClusterControl {
  private readonly clients = new Map<string, EnvironmentClients>();

  constructor(
    private readonly config: PlatformConfig,
    private readonly options: AwsClientOptions = {},
  ) {}

  async blockEndpoint(cluster: ControlledCluster): Promise<string> {
    const listener = await this.queryListener(cluster);
    if (!listener) return 'no query load balancer yet: nothing to block';
    const { elb } = this.clientsOf(cluster);
    const rules = await this.rulesOf(elb, listener);
    if (rules.some(isSuspensionRule)) return `already blocked (${listener})`;
    // The controller numbers its rules from 1: they move down one place, under the block.
    const ordered = rules.filter((rule) => !rule.IsDefault).sort((a, b) => Number(a.Priority) - Number(b.Priority));
    if (ordered.some((rule) => rule.Priority === '1')) {
      await elb.send(new SetRulePrioritiesCommand({ RulePriorities: ordered.map((rule, index) => ({ RuleArn: rule.RuleArn!, Priority: index + 2 })) }));
    }
    await elb.send(
      new CreateRuleCommand({
        ListenerArn: listener,
        Priority: 1,
        Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/*'] } }],
        Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503', ContentType: 'text/plain', MessageBody: SUSPENDED_RESPONSE_BODY } }],
      }),
    );
    return `listener ${listener} answers 503`;
  }

  async unblockEndpoint(cluster: ControlledCluster): Promise<string> {
    const listener = await this.queryListener(cluster);
    if (!listener) return 'no query load balancer: nothing to unblock';
    const { elb } = this.clientsOf(cluster);
    const blocks = (await this.rulesOf(elb, listener)).filter(isSuspensionRule);
    for (const rule of blocks) await elb.send(new DeleteRuleCommand({ RuleArn: rule.RuleArn }));
    return blocks.length ? `listener ${listener} forwards to the coordinator again` : `was not blocked (${listener})`;
  }

  scaleToZero(cluster: ControlledCluster): Promise<string> {
    return this.scale(cluster, () => ({ minSize: 0, desiredSize: 0 }));
  }

  restoreScale(cluster: ControlledCluster, counts: NodeCounts): Promise<string> {
    return this.scale(cluster, (role) => {
      const count = role === 'coordinator' ? counts.coordinator : counts.worker;
      return { minSize: count, desiredSize: count, maxSize: count };
    });
  }

  private async scale(cluster: ControlledCluster, target: (role: string | undefined) => { minSize: number; desiredSize: number; maxSize?: number }): Promise<string> {
    const { eks } = this.clientsOf(cluster);
    const clusterName = tenantClusterName(cluster.clusterId);
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await eks.send(new ListNodegroupsCommand({ clusterName, nextToken }));
      names.push(...(page.nodegroups ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    const done: string[] = [];
    for (const nodegroupName of names) {
      const { nodegroup } = await eks.send(new DescribeNodegroupCommand({ clusterName, nodegroupName }));
      const role = nodegroup?.labels?.[NODE_ROLE_LABEL];
      const wanted = target(role);
      const current = nodegroup?.scalingConfig ?? {};
      const scalingConfig = { ...wanted, maxSize: Math.max(wanted.maxSize ?? current.maxSize ?? 1, 1) };
      // EKS refuses an update that changes nothing.
      if (current.minSize !== scalingConfig.minSize || current.desiredSize !== scalingConfig.desiredSize || current.maxSize !== scalingConfig.maxSize) {
        await eks.send(new UpdateNodegroupConfigCommand({ clusterName, nodegroupName, scalingConfig }));
      }
      done.push(`${role ?? nodegroupName} ${scalingConfig.desiredSize}`);
    }
    return done.length ? done.join(', ') : 'no node groups';
  }

  private async rulesOf(elb: ElasticLoadBalancingV2Client, listenerArn: string): Promise<Rule[]> {
    const rules: Rule[] = [];
    let marker: string | undefined;
    do {
      const page = await elb.send(new DescribeRulesCommand({ ListenerArn: listenerArn, Marker: marker }));
      rules.push(...(page.Rules ?? []));
      marker = page.NextMarker;
    } while (marker);
    return rules;
  }

  /** The HTTPS listener of the cluster's query ALB, or undefined while it has none. */
  private async queryListener(cluster: ControlledCluster): Promise<string | undefined> {
    const clients = this.clientsOf(cluster);
    const clusterName = tenantClusterName(cluster.clusterId);
    let arn = (await (clients.loadBalancers ??= this.findQueryLoadBalancers(clients.elb))).get(clusterName);
    if (!arn) {
      // Made since the last look (one look is shared by every cluster of a run).
      const previous = clients.loadBalancers;
      clients.loadBalancers = previous.then(() => this.findQueryLoadBalancers(clients.elb));
      arn = (await clients.loadBalancers).get(clusterName);
    }
    if (!arn) return undefined;
    const { Listeners } = await clients.elb.send(new DescribeListenersCommand({ LoadBalancerArn: arn }));
    return Listeners?.find((listener) => listener.Protocol === 'HTTPS')?.ListenerArn;
  }

  private async findQueryLoadBalancers(elb: ElasticLoadBalancingV2Client): Promise<Map<string, string>> {
    const arns: string[] = [];
    let marker: string | undefined;
    do {
      const page = await elb.send(new DescribeLoadBalancersCommand({ Marker: marker }));
      arns.push(...(page.LoadBalancers ?? []).filter((lb) => lb.Type === 'application').map((lb) => lb.LoadBalancerArn!));
      marker = page.NextMarker;
    } while (marker);
    const found = new Map<string, string>();
    for (let start = 0; start < arns.length; start += TAGS_PER_CALL) {
      const { TagDescriptions } = await elb.send(new DescribeTagsCommand({ ResourceArns: arns.slice(start, start + TAGS_PER_CALL) }));
      for (const description of TagDescriptions ?? []) {
        const tags = new Map((description.Tags ?? []).map((tag) => [tag.Key, tag.Value]));
        const clusterName = tags.get(CONTROLLER_CLUSTER_TAG);
        if (clusterName && tags.get(CONTROLLER_STACK_TAG) === QUERY_INGRESS_STACK) found.set(clusterName, description.ResourceArn!);
      }
    }
    return found;
  }

  private clientsOf(cluster: ControlledCluster): EnvironmentClients {
    const existing = this.clients.get(cluster.environment);
    if (existing) return existing;
    const environment: EnvironmentConfig | undefined = this.config.environments[cluster.environment];
    if (!environment) throw new Error(`Environment ${cluster.environment} is not configured`);
    const credentials = environmentRoleCredentials(environment, TENANT_OPERATOR_ROLE_NAME, 'sici-fleet-worker', this.options);
    const common = { region: environment.region, credentials, requestHandler: this.options.requestHandler, maxAttempts: 5 };
    const clients: EnvironmentClients = { eks: new EKSClient(common), elb: new ElasticLoadBalancingV2Client(common) };
    this.clients.set(cluster.environment, clients);
    return clients;
  }
}

const isSuspensionRule = (rule: Rule) =>
  rule.Actions?.some((action) => action.Type === 'fixed-response' && action.FixedResponseConfig?.MessageBody === SUSPENDED_RESPONSE_BODY) ?? false;
