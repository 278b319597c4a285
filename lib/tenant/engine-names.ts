import { ENGINE_NAMESPACE, NODE_ROLE_LABEL } from '../contract/tenant-runtime-names';

/** Kubernetes names shared by the engine's values, its manifests and its IAM wiring. */
export { ENGINE_NAMESPACE, NODE_ROLE_LABEL };
export const ENGINE_SERVICE_ACCOUNT = 'starburst';
/** HTTP port of the coordinator inside the cluster; TLS ends at the internal load balancer. */
export const COORDINATOR_HTTP_PORT = 8080;
