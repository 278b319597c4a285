import { jobOperations } from './job-operations';
import { lambdaHandler } from './lambda-adapter';

/** Lambda for /jobs/{jobId}. */
export const handler = lambdaHandler('jobs', jobOperations);
