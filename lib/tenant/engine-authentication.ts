import type { IdentityProviderConfig } from '../config/platform-config';
import { ENGINE_ENV, fromEnv } from './engine-secrets';

/**
 * Who may talk to a cluster's engine, as Trino configuration properties (pure, no aws-cdk-lib), the
 * same for both engines (Starburst Enterprise 476-e is Trino 476):
 *
 * - Clients: OAuth 2.0 / OpenID Connect on the coordinator (trino.io/docs/476/security/oauth2.html).
 *   The web UI signs in through the authorization code flow; the CLI, JDBC and other clients either
 *   run the same flow (`--external-authentication`, `externalAuthentication=true`) or send a bearer
 *   access token of the same provider, which the coordinator validates (issuer, signature, audience
 *   = the client id). No other authenticator is configured: no password, no user name header.
 * - Nodes: the shared secret for internal communication, which Trino requires once authentication is
 *   on (trino.io/docs/476/security/internal-communication.html), from Secrets Manager by reference.
 *
 * TLS ends at the internal ALB, and the coordinator serves plain HTTP inside the VPC: Trino treats a
 * request as secure, which every authenticator requires, when it arrives over HTTPS or, with
 * `http-server.process-forwarded=true`, carries `X-Forwarded-Proto: https`; any other HTTP request is
 * refused, not served unauthenticated (`allow-insecure-over-http` false;
 * trino.io/docs/476/admin/properties-http-server.html, .../security/tls.html#https-load-balancer).
 * Forwarded headers are trusted from the load balancer only by the network: the ALB sets
 * X-Forwarded-Proto itself, clients reach only the ALB (queryIngressCidrs), and the coordinator's
 * port admits only the ALB and the cluster's own nodes (security groups). A forged header would in
 * any case only mark a request secure, never authenticate it: a valid token is still required.
 * Carrying TLS to the coordinator instead would put a private key per cluster into the pods for a
 * hop inside the tenant's own VPC, which the ALB does not verify anyway; Trino's documentation calls
 * ending TLS at a load balancer "the simplest and strongly preferred solution".
 */

/**
 * The identity's groups come from the token's groups claim. Trino 408 deprecated that claim setting
 * (renamed with a `deprecated.` prefix, trinodb/trino#15669: groups from a token are unknown for any
 * user it impersonates, e.g. the owner of a SECURITY DEFINER view) and Trino 480 removed it
 * (trinodb/trino#28646). Groups then need a group provider, which needs a directory the platform
 * configuration does not describe (OIDC has no standard group lookup): releases from 480 are refused
 * at synth until it does.
 */
const GROUPS_CLAIM_REMOVED_IN = 480;

/** Why a Trino release cannot be configured with the platform's identity provider; undefined when it can. */
export function unsupportedRelease(trinoRelease: number): string | undefined {
  return trinoRelease >= GROUPS_CLAIM_REMOVED_IN
    ? `Trino ${trinoRelease} no longer reads groups from the OAuth 2.0 token (removed in ${GROUPS_CLAIM_REMOVED_IN}), ` +
        'and SICI has no group provider for it yet; pin the engine to a release before 480'
    : undefined;
}

/** Coordinator only: OAuth 2.0 for the API and the web UI, nothing else. */
export function coordinatorAuthenticationProperties(idp: IdentityProviderConfig): Record<string, string> {
  return {
    'http-server.authentication.type': 'oauth2',
    'http-server.authentication.allow-insecure-over-http': 'false',
    'http-server.authentication.oauth2.issuer': idp.issuer,
    'http-server.authentication.oauth2.client-id': idp.clientId,
    'http-server.authentication.oauth2.client-secret': fromEnv(ENGINE_ENV.oauth2ClientSecret),
    'http-server.authentication.oauth2.scopes': idp.scopes.join(','),
    'http-server.authentication.oauth2.principal-field': idp.userClaim,
    'deprecated.http-server.authentication.oauth2.groups-field': idp.groupsClaim,
    'web-ui.authentication.type': 'oauth2',
  };
}

/** Coordinator and workers: requests forwarded by the ALB count as HTTPS; nodes prove themselves with the shared secret. */
export function nodeSecurityProperties(): Record<string, string> {
  return {
    'http-server.process-forwarded': 'true',
    'internal-communication.shared-secret': fromEnv(ENGINE_ENV.internalSharedSecret),
  };
}
