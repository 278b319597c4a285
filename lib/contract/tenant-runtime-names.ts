/**
 * Names a deployed tenant carries that the control plane's run-time code finds it by (the fleet
 * worker's direct calls): lib/tenant makes the resources with them.
 */

/** The engine's Kubernetes namespace. */
export const ENGINE_NAMESPACE = 'starburst';
/** Name of the Ingress that the AWS Load Balancer Controller turns into the internal query ALB. */
export const QUERY_INGRESS_NAME = 'sici-query';
/** Node label that pins coordinator and worker pods to their own managed node groups (values `coordinator`, `worker`). */
export const NODE_ROLE_LABEL = 'sici.io/node-role';
/** What a suspended cluster's query endpoint answers, with 503: the mark of the rule that blocks it. */
export const SUSPENDED_RESPONSE_BODY = 'This SICI cluster is suspended.';
