import { CLUSTER_STATUSES, DATASOURCE_STATUSES, JOB_STATUSES, type OperationType } from '../../../lib/contract/api';
import {
  CLUSTER_TRANSITIONS,
  clusterStatusesLeadingTo,
  DATASOURCE_TRANSITIONS,
  datasourceStatusesLeadingTo,
  JOB_TRANSITIONS,
  jobStatusesLeadingTo,
  STATUS_WHILE_RUNNING,
} from '../../../lambda/core/transitions';

describe('the transition table', () => {
  test('names every status of each document, and only those', () => {
    expect(Object.keys(CLUSTER_TRANSITIONS).sort()).toEqual([...CLUSTER_STATUSES].sort());
    expect(Object.keys(JOB_TRANSITIONS).sort()).toEqual([...JOB_STATUSES].sort());
    expect(Object.keys(DATASOURCE_TRANSITIONS).sort()).toEqual([...DATASOURCE_STATUSES].sort());
  });

  test('the sources of a target are exactly the statuses with an edge to it', () => {
    for (const target of CLUSTER_STATUSES) {
      expect(clusterStatusesLeadingTo(target)).toEqual(CLUSTER_STATUSES.filter((from) => CLUSTER_TRANSITIONS[from].includes(target)));
    }
    expect(clusterStatusesLeadingTo('DELETED')).toEqual(['DELETING']);
    expect(clusterStatusesLeadingTo('DELETING').sort()).toEqual(['ACTIVE', 'FAILED', 'SUSPENDED']);
    expect(datasourceStatusesLeadingTo('DELETED').sort()).toEqual(['ACTIVE', 'DELETING', 'FAILED']);
  });

  test('a job succeeds only from RUNNING, fails from PENDING or RUNNING, and never leaves an end', () => {
    expect(jobStatusesLeadingTo('RUNNING')).toEqual(['PENDING']);
    expect(jobStatusesLeadingTo('SUCCEEDED')).toEqual(['RUNNING']);
    expect(jobStatusesLeadingTo('FAILED')).toEqual(['PENDING', 'RUNNING']);
    expect(JOB_TRANSITIONS.SUCCEEDED).toEqual([]);
    expect(JOB_TRANSITIONS.FAILED).toEqual([]);
  });

  test('DELETED is final for clusters and datasources', () => {
    expect(CLUSTER_TRANSITIONS.DELETED).toEqual([]);
    expect(DATASOURCE_TRANSITIONS.DELETED).toEqual([]);
  });

  test('every operation can start on an ACTIVE cluster and its running status can end ACTIVE or FAILED', () => {
    for (const operation of Object.keys(STATUS_WHILE_RUNNING) as OperationType[]) {
      const running = STATUS_WHILE_RUNNING[operation];
      if (operation !== 'CREATE') expect(clusterStatusesLeadingTo(running)).toContain('ACTIVE');
      expect(CLUSTER_TRANSITIONS[running]).toContain('FAILED');
      expect(CLUSTER_TRANSITIONS[running]).toContain(operation === 'DELETE' ? 'DELETED' : 'ACTIVE');
    }
  });
});
