import { DATASOURCE_ACCESS_ERROR, PERMANENT_ERROR, TRANSIENT_ERROR } from '../../lib/contract/workflow';

/**
 * Errors a workflow step throws on purpose. Step Functions matches its Retry and Catch on the
 * error name: transient ones are retried with backoff, permanent ones fail the job at once.
 */
export class TransientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = TRANSIENT_ERROR;
  }
}

export class PermanentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = PERMANENT_ERROR;
  }
}

/** A datasource is not reachable as generated; the message says what failed, for the datasource's status reason. */
export class DatasourceAccessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = DATASOURCE_ACCESS_ERROR;
  }
}
