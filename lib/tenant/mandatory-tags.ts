import { Tags } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import type { TenantSpec } from '../contract/tenant-spec';

/** The tags every tenant resource carries; billing, audit and the fleet operations select on them. */
export function mandatoryTags(spec: TenantSpec): Record<string, string> {
  return {
    'sici:cluster': spec.clusterId,
    'sici:team': spec.teamId,
    'sici:environment': spec.environment,
    'sici:managed': 'true',
  };
}

/** Priority above anything a construct sets by default (100), so no construct can override a mandatory tag. */
const MANDATORY_PRIORITY = 1000;

/**
 * Tags every taggable resource under `scope` (Tags.of is an Aspect that visits the whole tree at
 * synth): the spec's own tags first, then the mandatory `sici:*` tags, which win over everything.
 */
export function applyTenantTags(scope: IConstruct, spec: TenantSpec): void {
  for (const [key, value] of Object.entries(spec.tags)) Tags.of(scope).add(key, value);
  for (const [key, value] of Object.entries(mandatoryTags(spec))) {
    Tags.of(scope).add(key, value, { priority: MANDATORY_PRIORITY });
  }
}
