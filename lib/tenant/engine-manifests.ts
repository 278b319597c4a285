import { QUERY_INGRESS_NAME, SUSPENDED_RESPONSE_BODY } from '../contract/tenant-runtime-names';
import type { TenantSpec } from '../contract/tenant-spec';
import { COORDINATOR_HTTP_PORT, ENGINE_NAMESPACE, ENGINE_SERVICE_ACCOUNT } from './engine-names';

/**
 * Kubernetes manifests around the engine's Helm release, as pure functions (no aws-cdk-lib): its
 * namespace and service account, and the TLS ingress (the engine's secrets: engine-secrets.ts).
 */

export type KubernetesManifest = Record<string, unknown>;

/** Name of the Ingress that the AWS Load Balancer Controller turns into the internal ALB. */
export { QUERY_INGRESS_NAME };
/** The action of a suspended cluster's ingress: every request is answered 503 by the ALB itself. */
const SUSPENDED_ACTION = 'sici-suspended';

/** TLS 1.3 and 1.2 only, forward secrecy only. */
const QUERY_TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-2-Res-2021-06';

/** The engine's namespace (Pod Security: baseline enforced, restricted reported) and its service account. */
export function engineNamespaceManifests(): KubernetesManifest[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: ENGINE_NAMESPACE,
        labels: {
          'pod-security.kubernetes.io/enforce': 'baseline',
          'pod-security.kubernetes.io/audit': 'restricted',
          'pod-security.kubernetes.io/warn': 'restricted',
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: ENGINE_SERVICE_ACCOUNT, namespace: ENGINE_NAMESPACE },
      // Pods use EKS Pod Identity; nothing else needs the API token.
      automountServiceAccountToken: false,
    },
  ];
}

export interface QueryIngressProps {
  readonly spec: TenantSpec;
  /** ClusterIP service of the coordinator. */
  readonly serviceName: string;
  /** Client networks allowed to reach the endpoint (config `network.queryIngressCidrs`). */
  readonly ingressCidrs: string[];
  /** Tags for the load balancer and its target group, which the controller creates at run time. */
  readonly tags: Record<string, string>;
}

/**
 * The query endpoint: an internal ALB (AWS Load Balancer Controller) that ends TLS with the spec's
 * ACM certificate, admits only the configured CIDRs, and forwards to the coordinator with
 * X-Forwarded-Proto so that Trino hands out https URLs.
 */
export function queryIngressManifest(props: QueryIngressProps): KubernetesManifest {
  const tags = Object.entries(props.tags)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: QUERY_INGRESS_NAME,
      namespace: ENGINE_NAMESPACE,
      annotations: {
        'alb.ingress.kubernetes.io/scheme': 'internal',
        'alb.ingress.kubernetes.io/target-type': 'ip',
        'alb.ingress.kubernetes.io/listen-ports': JSON.stringify([{ HTTPS: 443 }]),
        'alb.ingress.kubernetes.io/certificate-arn': props.spec.queryEndpoint.certificateArn,
        'alb.ingress.kubernetes.io/ssl-policy': QUERY_TLS_POLICY,
        'alb.ingress.kubernetes.io/inbound-cidrs': props.ingressCidrs.join(','),
        'alb.ingress.kubernetes.io/backend-protocol': 'HTTP',
        'alb.ingress.kubernetes.io/healthcheck-path': '/v1/info',
        'alb.ingress.kubernetes.io/load-balancer-attributes':
          'routing.http.drop_invalid_header_fields.enabled=true,idle_timeout.timeout_seconds=300',
        'alb.ingress.kubernetes.io/tags': tags,
        ...(props.spec.suspended
          ? {
              [`alb.ingress.kubernetes.io/actions.${SUSPENDED_ACTION}`]: JSON.stringify({
                type: 'fixed-response',
                fixedResponseConfig: { contentType: 'text/plain', statusCode: '503', messageBody: SUSPENDED_RESPONSE_BODY },
              }),
            }
          : {}),
      },
    },
    spec: {
      ingressClassName: 'alb',
      rules: [
        {
          host: props.spec.queryEndpoint.hostname,
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: props.spec.suspended
                  ? { service: { name: SUSPENDED_ACTION, port: { name: 'use-annotation' } } }
                  : { service: { name: props.serviceName, port: { number: COORDINATOR_HTTP_PORT } } },
              },
            ],
          },
        },
      ],
    },
  };
}
