import { identityProviderOf, type PlatformConfig } from '../../lib/config/platform-config';
import type { TenantSpec } from '../../lib/contract/tenant-spec';
import type { EngineValuesInput } from '../../lib/tenant/starburst-values';

/** What `engineRelease` takes for a spec under a platform configuration, as the TenantStack passes it. */
export function engineInputs(spec: TenantSpec, config: PlatformConfig): EngineValuesInput {
  return {
    spec,
    tier: config.tiers[spec.tier],
    identityProvider: identityProviderOf(config, config.environments[spec.environment]!),
    sessionProperties: config.querySessionProperties,
  };
}
