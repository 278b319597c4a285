import type { PlatformConfig } from '../../lib/config/platform-config';
import type { AccessMode } from '../../lib/contract/tenant-spec';
import type { EnvironmentName, TierName, ConnectorType } from '../../lib/contract/platform-names';
import type { Team } from '../../lib/contract/api';

/**
 * The one place that decides what a team may have: an environment and a tier for its clusters,
 * more clusters within its quota, read-write datasources, datasources in a given account. The API
 * asks before it accepts a job; the workflow asks again when the job starts (entitlements may have
 * been lowered since). Each answer is a `Refusal`, or nothing when the team may.
 */

export interface Refusal {
  /** The request field the refusal is about. */
  readonly field?: 'environment' | 'tier' | 'type' | 'accessMode' | 'externalAccountId';
  /** `offered`: the platform has no such thing at all; `entitled`: the team may not have it. */
  readonly rule: 'offered' | 'entitled';
  readonly detail: string;
  /** What the field may be, when the platform does not offer what was asked. */
  readonly expected?: string;
}

/** A cluster of `tier` in `environment`. */
export function clusterRefusal(team: Team, config: PlatformConfig, wanted: { environment: EnvironmentName; tier: TierName }): Refusal | undefined {
  const offered = Object.keys(config.environments);
  if (!offered.includes(wanted.environment)) {
    return { field: 'environment', rule: 'offered', detail: `Environment ${wanted.environment} is not offered by this platform.`, expected: `one of ${offered.join(', ')}` };
  }
  const { entitlements } = team;
  if (!entitlements.environments.includes(wanted.environment)) {
    return {
      field: 'environment',
      rule: 'entitled',
      detail: `Team ${team.teamId} is not entitled to environment ${wanted.environment} (entitled: ${entitlements.environments.join(', ')}).`,
    };
  }
  return tierRefusal(team, wanted.tier);
}

export function tierRefusal(team: Team, tier: TierName): Refusal | undefined {
  const { tiers } = team.entitlements;
  if (tiers.includes(tier)) return undefined;
  return { field: 'tier', rule: 'entitled', detail: `Team ${team.teamId} is not entitled to tier ${tier} (entitled: ${tiers.join(', ')}).` };
}

/** A datasource of a connector type, an access mode, in an AWS account. */
export function datasourceRefusal(
  team: Team,
  config: PlatformConfig,
  wanted: { type: ConnectorType; accessMode: AccessMode; externalAccountId: string },
): Refusal | undefined {
  if (!config.approvedConnectors.includes(wanted.type)) {
    return { field: 'type', rule: 'offered', detail: `Connector type ${wanted.type} is not approved by this platform.`, expected: `one of ${config.approvedConnectors.join(', ')}` };
  }
  const { entitlements } = team;
  if (wanted.accessMode === 'read-write' && !entitlements.readWriteDatasources) {
    return {
      field: 'accessMode',
      rule: 'entitled',
      detail: `Team ${team.teamId} is not entitled to read-write datasources; ask the platform team, or use read-only.`,
    };
  }
  if (entitlements.dataAccounts && !entitlements.dataAccounts.includes(wanted.externalAccountId)) {
    return {
      field: 'externalAccountId',
      rule: 'entitled',
      detail: `Team ${team.teamId} may add datasources only from account(s) ${entitlements.dataAccounts.join(', ')}.`,
    };
  }
  return undefined;
}

/**
 * The quota itself is enforced atomically by the store (a conditional write on the team's cluster
 * count, see `takeQuotaItem`); this is what a team is told when that condition fails.
 */
export function quotaRefusal(team: Team): Refusal {
  return {
    rule: 'entitled',
    detail: `Team ${team.teamId} has reached its quota of ${team.entitlements.maxClusters} cluster(s); delete one or ask the platform team for more.`,
  };
}
