// What a caller may name as targets (a scan's, a deployment's): host ids or
// labels, exactly one of them, checked before any query. Pure: the service
// turns problems into a 400.
import { isUuid } from './host-input';
import { Labels, labelsProblems } from './labels';

export interface HostTargets {
  hostIds?: string[];
  labels?: Record<string, string>;
}

export type CheckedTargets = { kind: 'ids'; ids: string[] } | { kind: 'labels'; labels: Labels } | { kind: 'invalid'; problems: string[] };

/** Ids lower-cased and de-duplicated, or the labels, or every problem named by its field. */
export function checkHostTargets(targets: HostTargets): CheckedTargets {
  const { hostIds, labels } = targets;
  if ((hostIds === undefined) === (labels === undefined)) {
    return { kind: 'invalid', problems: ['targets: give exactly one of hostIds or labels'] };
  }
  if (hostIds !== undefined) {
    if (!Array.isArray(hostIds) || hostIds.length === 0) {
      return { kind: 'invalid', problems: ['targets.hostIds: must be a non-empty array of host ids'] };
    }
    const malformed = hostIds.filter((id) => !isUuid(id));
    if (malformed.length > 0) {
      const shown = malformed
        .slice(0, 20)
        .map((id) => JSON.stringify(String(id).slice(0, 40)))
        .join(', ');
      return { kind: 'invalid', problems: [`targets.hostIds: not UUIDs: ${shown}`] };
    }
    return { kind: 'ids', ids: [...new Set(hostIds.map((id) => id.toLowerCase()))] };
  }
  const problems = labelsProblems(labels);
  if (problems.length > 0) return { kind: 'invalid', problems: problems.map((p) => `targets.labels: ${p}`) };
  if (Object.keys(labels as Labels).length === 0) return { kind: 'invalid', problems: ['targets.labels: must name at least one label'] };
  return { kind: 'labels', labels: labels as Labels };
}
