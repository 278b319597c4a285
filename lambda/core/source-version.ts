import { version } from '../../package.json';

/**
 * The version of SICI's source this code was built from (package.json): what a successful deploy
 * records on its cluster, and what the fleet's version skew compares it with.
 */
export const SOURCE_VERSION: string = version;
