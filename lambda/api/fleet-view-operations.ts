import { ProblemError } from '../core/problems';
import type { Operations } from './operation';

// Placeholder until the fleet view work lands (issue 14): every route answers 501.
const notYet = () => Promise.reject(new ProblemError(501, 'not-implemented', 'Not implemented', 'This route is being built.'));

/** The fleet's clusters, and its drift and version skew. */
export const fleetViewOperations: Operations<'listFleetClusters' | 'startDriftCheck' | 'getFleetDrift'> = {
  listFleetClusters: notYet,
  startDriftCheck: notYet,
  getFleetDrift: notYet,
};
