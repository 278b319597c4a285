/** Kubernetes names shared by the engine's values, its manifests and its IAM wiring. */
export const ENGINE_NAMESPACE = 'starburst';
export const ENGINE_SERVICE_ACCOUNT = 'starburst';
/** Node label that pins coordinator and worker pods to their own managed node groups. */
export const NODE_ROLE_LABEL = 'sici.io/node-role';
/** HTTP port of the coordinator inside the cluster; TLS ends at the internal load balancer. */
export const COORDINATOR_HTTP_PORT = 8080;
