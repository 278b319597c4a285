import { ProblemError } from '../core/problems';
import type { Operations } from './operation';

// Placeholder until the suspension work lands (issue 14): every route answers 501.
const notYet = () => Promise.reject(new ProblemError(501, 'not-implemented', 'Not implemented', 'This route is being built.'));

/** Suspend and resume: one cluster (its team or an admin), the fleet's emergency shutdown and resume, and following them. */
export const suspensionOperations: Operations<'suspendCluster' | 'resumeCluster' | 'shutdownFleet' | 'resumeFleet' | 'getFleetOperation'> = {
  suspendCluster: notYet,
  resumeCluster: notYet,
  shutdownFleet: notYet,
  resumeFleet: notYet,
  getFleetOperation: notYet,
};
