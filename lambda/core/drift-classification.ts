import type { ClusterDrift, DriftedResource } from '../../lib/contract/api';
import type { ClusterRecord } from './cluster-store';

/** What a drift detector found on a cluster's stack, before SICI's own changes are taken out. */
export type DetectedDrift =
  | { readonly status: 'IN_SYNC' }
  | { readonly status: 'DRIFTED'; readonly resources: readonly DriftedResource[]; readonly detail?: string }
  | { readonly status: 'UNKNOWN'; readonly detail: string };

/** The most resources, and properties in all, kept on the cluster item (DynamoDB's items hold 400 KB). */
export const MAX_DRIFTED_RESOURCES = 100;
export const MAX_DRIFTED_PROPERTIES = 300;
/** Longer expected or actual values (policy documents, say) are cut to this many characters. */
export const MAX_VALUE_CHARACTERS = 256;

/**
 * A suspension scales the cluster's node groups to zero by direct API calls (not a redeploy): the
 * node groups' ScalingConfig then differs from the template, and that is not drift.
 */
function explainedBySuspension(resource: DriftedResource, path: string, cluster: Pick<ClusterRecord, 'suspension'>): boolean {
  return cluster.suspension !== undefined && resource.resourceType === 'AWS::EKS::Nodegroup' && (path === '/ScalingConfig' || path.startsWith('/ScalingConfig/'));
}

const cut = (value: string | undefined) =>
  value === undefined || value.length <= MAX_VALUE_CHARACTERS ? value : `${value.slice(0, MAX_VALUE_CHARACTERS)}… (${value.length} characters)`;

/** The drift of a cluster as recorded: without what its suspension explains, within the item's bounds. */
export function clusterDriftOf(detected: DetectedDrift, cluster: Pick<ClusterRecord, 'suspension'>, checkedAt: string, operationId?: string): ClusterDrift {
  const base = { checkedAt, ...(operationId ? { operationId } : {}) };
  if (detected.status === 'UNKNOWN') return { ...base, status: 'UNKNOWN', detail: detected.detail, resources: [] };
  if (detected.status === 'IN_SYNC') return { ...base, status: 'IN_SYNC', resources: [] };
  let explained = 0;
  const drifted: DriftedResource[] = [];
  for (const resource of detected.resources) {
    const properties = resource.properties.filter((property) => {
      const ignore = explainedBySuspension(resource, property.path, cluster);
      if (ignore) explained++;
      return !ignore;
    });
    // A resource whose every difference is explained is in sync; a deleted one never is.
    if (resource.status === 'MODIFIED' && properties.length === 0 && resource.properties.length > 0) continue;
    drifted.push({ ...resource, properties });
  }
  const notes = [detected.detail, explained ? `${explained} difference(s) explained by the cluster's suspension (node groups scaled to zero) are not drift` : undefined];
  let budget = MAX_DRIFTED_PROPERTIES;
  const kept = drifted.slice(0, MAX_DRIFTED_RESOURCES).map((resource) => {
    const properties = resource.properties.slice(0, Math.max(0, Math.min(50, budget))).map((property) => ({
      ...property,
      ...(property.expected !== undefined ? { expected: cut(property.expected) } : {}),
      ...(property.actual !== undefined ? { actual: cut(property.actual) } : {}),
    }));
    budget -= properties.length;
    return { ...resource, properties };
  });
  const shown = kept.reduce((sum, resource) => sum + resource.properties.length, 0);
  const total = drifted.reduce((sum, resource) => sum + resource.properties.length, 0);
  if (drifted.length > kept.length || total > shown) notes.push(`showing ${kept.length} of ${drifted.length} drifted resource(s) and ${shown} of ${total} difference(s)`);
  const detail = notes.filter((note): note is string => note !== undefined).join('; ');
  return { ...base, status: drifted.length ? 'DRIFTED' : 'IN_SYNC', ...(detail ? { detail } : {}), resources: kept };
}
