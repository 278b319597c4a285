import type { VersionSkew } from '../../lib/contract/fleet';
import type { EngineConfig } from '../../lib/contract/platform-names';
import { trinoVersion } from '../../lib/access/trino-version';
import type { ClusterRecord } from './cluster-store';

/**
 * How far a cluster is behind the platform's current engine pins (platform config `engine`) and
 * source version (package.json of the running control plane). A cluster with no engine pins yet
 * (its first spec is not written) or no source version recorded (no successful deploy since
 * versions were recorded) is not counted behind on that part: there is nothing to compare.
 */
export interface CurrentVersions {
  readonly engine: EngineConfig;
  readonly sourceVersion: string;
}

export function versionSkew(cluster: Pick<ClusterRecord, 'enginePins' | 'sourceVersion'>, current: CurrentVersions): VersionSkew {
  const engine = cluster.enginePins && !samePins(cluster.enginePins, current.engine) ? engineSkew(cluster.enginePins, current.engine) : undefined;
  const source =
    cluster.sourceVersion !== undefined && cluster.sourceVersion !== current.sourceVersion
      ? { current: current.sourceVersion, cluster: cluster.sourceVersion, behind: semverDistance(cluster.sourceVersion, current.sourceVersion) }
      : undefined;
  return { behind: engine !== undefined || source !== undefined, ...(engine ? { engine } : {}), ...(source ? { source } : {}) };
}

const samePins = (a: EngineConfig, b: EngineConfig) =>
  a.kind === b.kind && a.chart.name === b.chart.name && a.chart.version === b.chart.version && a.image.tag === b.image.tag && a.image.digest === b.image.digest;

/** The Trino release of an engine's image tag; 0 when the tag does not tell (a pin older than the tag rules). */
export function trinoReleaseOf(engine: Pick<EngineConfig, 'kind' | 'image'>): number {
  try {
    return trinoVersion(engine);
  } catch {
    return 0;
  }
}

function engineSkew(pins: EngineConfig, current: EngineConfig): NonNullable<VersionSkew['engine']> {
  const describe = (engine: EngineConfig) => ({ chartVersion: engine.chart.version, imageTag: engine.image.tag, trinoRelease: trinoReleaseOf(engine) });
  const chartBehind = pins.chart.version === current.chart.version ? undefined : semverDistance(pins.chart.version, current.chart.version);
  return {
    current: describe(current),
    cluster: describe(pins),
    trinoReleasesBehind: trinoReleaseOf(current) - trinoReleaseOf(pins),
    ...(chartBehind ? { chartBehind } : {}),
    sameImageRebuilt: pins.image.tag === current.image.tag && pins.image.digest !== current.image.digest,
  };
}

/**
 * The distance from `from` to `to` in the most significant semver part that differs, e.g.
 * "1 minor", "2 patch", "1 major"; "1 minor ahead" when `from` is the newer one; "other build" when
 * only pre-release or build metadata differ (or either is not semver).
 */
export function semverDistance(from: string, to: string): string {
  const a = parts(from);
  const b = parts(to);
  if (!a || !b) return 'other version';
  const names = ['major', 'minor', 'patch'] as const;
  for (let i = 0; i < 3; i++) {
    if (a[i] !== b[i]) {
      const distance = b[i] - a[i];
      return distance > 0 ? `${distance} ${names[i]}` : `${-distance} ${names[i]} ahead`;
    }
  }
  return 'other build';
}

function parts(version: string): [number, number, number] | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(version);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}
