import { ProblemError } from '../core/problems';
import type { Operations } from './operation';

// Placeholder until the upgrade work lands (issue 14): every route answers 501.
const notYet = () => Promise.reject(new ProblemError(501, 'not-implemented', 'Not implemented', 'This route is being built.'));

/** Upgrades in waves: start, list, follow, cancel and resume a run. */
export const upgradeOperations: Operations<'startUpgrade' | 'listUpgrades' | 'getUpgrade' | 'cancelUpgrade' | 'resumeUpgrade'> = {
  startUpgrade: notYet,
  listUpgrades: notYet,
  getUpgrade: notYet,
  cancelUpgrade: notYet,
  resumeUpgrade: notYet,
};
