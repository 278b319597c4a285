import { lambdaHandler } from './lambda-adapter';
import { teamOperations } from './team-operations';

/** Lambda for the admin routes /teams and /teams/{teamId}. */
export const handler = lambdaHandler('teams', teamOperations);
