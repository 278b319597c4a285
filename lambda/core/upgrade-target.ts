import type { PlatformConfig } from '../../lib/config/platform-config';
import type { UpgradeTarget } from '../../lib/contract/fleet';
import type { EngineConfig } from '../../lib/contract/platform-names';
import type { FieldError } from './problems';
import type { ClusterRecord } from './cluster-store';
import { SOURCE_VERSION } from './source-version';

/**
 * What an upgrade brings clusters to. The configuration stays the one source of truth: a target
 * only restates the platform's current engine pins (or the control plane's source version) as a
 * confirmation, and a target that is not the current one is refused, naming the field.
 */

/** Where the target differs from the platform's current one, as field errors of the request body; none when it is current. */
export function targetMismatches(target: UpgradeTarget, config: PlatformConfig, sourceVersion: string = SOURCE_VERSION): FieldError[] {
  if (target.engine) {
    const errors: FieldError[] = [];
    if (target.engine.chartVersion !== config.engine.chart.version) {
      errors.push({ field: 'body.target.engine.chartVersion', message: `not the platform's current chart version (${config.engine.chart.version}); change the configuration first` });
    }
    if (target.engine.imageDigest !== config.engine.image.digest) {
      errors.push({ field: 'body.target.engine.imageDigest', message: `not the platform's current image digest (${config.engine.image.digest}); change the configuration first` });
    }
    return errors;
  }
  return target.sourceVersion === sourceVersion ? [] : [{ field: 'body.target.sourceVersion', message: `not the control plane's current source version (${sourceVersion})` }];
}

/** Whether the cluster already runs the target: the same engine pins, or the same source version. */
export function isAtTarget(cluster: ClusterRecord, target: UpgradeTarget, config: PlatformConfig): boolean {
  if (target.engine) return cluster.enginePins !== undefined && samePins(cluster.enginePins, config.engine);
  return cluster.sourceVersion === target.sourceVersion;
}

function samePins(a: EngineConfig, b: EngineConfig): boolean {
  return (
    a.kind === b.kind &&
    a.chart.repository === b.chart.repository &&
    a.chart.name === b.chart.name &&
    a.chart.version === b.chart.version &&
    a.image.repository === b.image.repository &&
    a.image.tag === b.image.tag &&
    a.image.digest === b.image.digest
  );
}
