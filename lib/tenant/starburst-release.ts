import { Duration, Stack, ValidationError } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct, IDependable } from 'constructs';
import { lit } from '../compliance/error-code';
import type { SessionPropertyAllowList } from '../access/access-control-rules';
import { trinoVersion } from '../access/trino-version';
import type { IdentityProviderConfig, TierConfig } from '../config/platform-config';
import type { TenantSpec } from '../contract/tenant-spec';
import { unsupportedRelease } from './engine-authentication';
import { engineNamespaceManifests, QUERY_INGRESS_NAME, queryIngressManifest } from './engine-manifests';
import { ENGINE_NAMESPACE } from './engine-names';
import { engineSecretProviderClass, type EngineSecretSources } from './engine-secrets';
import { engineRelease, EngineRelease, nodeTooSmall } from './starburst-values';

export interface StarburstReleaseProps {
  readonly cluster: eks.Cluster;
  readonly spec: TenantSpec;
  readonly tier: TierConfig;
  /** The identity provider team members sign in with (the environment's, from platform config). */
  readonly identityProvider: IdentityProviderConfig;
  /** The session properties users may set (platform config `querySessionProperties`). */
  readonly sessionProperties: SessionPropertyAllowList;
  /** Where the engine's secrets are in Secrets Manager; they reach the pods through the CSI driver only. */
  readonly secrets: EngineSecretSources;
  /** Client networks allowed to reach the query endpoint (config `network.queryIngressCidrs`). */
  readonly queryIngressCidrs: string[];
  /** Tags of the load balancer the controller creates at run time. */
  readonly loadBalancerTags: Record<string, string>;
  /** What must exist before the engine's pods can start (nodes, add-ons, the load balancer controller, its IAM role). */
  readonly dependsOn: IDependable[];
  /**
   * How long Helm waits for the engine's pods to become ready.
   * @default Duration.minutes(15), the kubectl handler's limit
   */
  readonly timeout?: Duration;
}

/**
 * The query engine on the tenant's cluster: its namespace and service account, the SecretProviderClass
 * of its secrets, the Helm release pinned to the spec's chart version and image digest with values
 * from `engineRelease`, and the TLS ingress that becomes the internal ALB.
 */
export class StarburstRelease extends Construct {
  readonly release: EngineRelease;
  readonly chart: eks.HelmChart;
  readonly ingress: eks.KubernetesManifest;
  /** DNS name of the internal ALB, read from the Ingress status once the controller has created it. */
  readonly loadBalancerHostname: string;

  constructor(scope: Construct, id: string, props: StarburstReleaseProps) {
    super(scope, id);
    const { cluster, spec, tier } = props;
    for (const [role, node] of [['coordinator', tier.coordinator], ['worker', tier.worker]] as const) {
      const tooSmall = nodeTooSmall(node);
      if (tooSmall) throw new ValidationError(lit`EngineNodeTooSmall`, `Tier ${spec.tier}, ${role} nodes: ${tooSmall}`, this);
    }
    const unsupported = this.unsupportedEngine(spec);
    if (unsupported) throw new ValidationError(lit`EngineReleaseNotSupported`, unsupported, this);
    this.release = engineRelease({ spec, tier, identityProvider: props.identityProvider, sessionProperties: props.sessionProperties });

    const namespace = cluster.addManifest('Namespace', ...engineNamespaceManifests());
    const secretProviderClass = cluster.addManifest('EngineSecretProviderClass', engineSecretProviderClass(props.secrets, Stack.of(this).region));
    secretProviderClass.node.addDependency(namespace, ...props.dependsOn);

    this.chart = new eks.HelmChart(this, 'Chart', {
      cluster,
      chart: this.release.chart,
      repository: this.release.repository,
      version: this.release.version,
      release: this.release.release,
      namespace: this.release.namespace,
      createNamespace: false,
      values: this.release.values,
      // A suspended cluster has no nodes to run the pods on: the release is applied without waiting.
      wait: !spec.suspended,
      atomic: !spec.suspended,
      timeout: props.timeout ?? Duration.minutes(15),
    });
    this.chart.node.addDependency(namespace, secretProviderClass, ...props.dependsOn);

    this.ingress = cluster.addManifest(
      'QueryIngress',
      queryIngressManifest({
        spec,
        serviceName: this.release.serviceName,
        ingressCidrs: props.queryIngressCidrs,
        tags: props.loadBalancerTags,
      }),
    );
    // Deleted before the chart and the controller, so that the controller removes the ALB.
    this.ingress.node.addDependency(this.chart, ...props.dependsOn);

    // What `cluster.getIngressLoadBalancerAddress` makes, made here so that it can wait for the ingress;
    // in the cluster, with the same id, so that deployed stacks keep its logical id.
    const loadBalancerAddress = new eks.KubernetesObjectValue(cluster, `${QUERY_INGRESS_NAME}LoadBalancerAddress`, {
      cluster,
      objectType: 'ingress',
      objectName: QUERY_INGRESS_NAME,
      objectNamespace: ENGINE_NAMESPACE,
      jsonPath: '.status.loadBalancer.ingress[0].hostname',
      timeout: Duration.minutes(10),
    });
    loadBalancerAddress.node.addDependency(this.ingress);
    this.loadBalancerHostname = loadBalancerAddress.value;
  }

  /** Why the engine the spec is pinned to cannot be configured; undefined when it can. */
  private unsupportedEngine(spec: TenantSpec): string | undefined {
    try {
      return unsupportedRelease(trinoVersion(spec.engine));
    } catch (error) {
      return (error as Error).message;
    }
  }
}
