import type { PlatformConfig } from '../../lib/config/platform-config';
import type { AuditRecord } from '../core/audit-log';
import type { Caller } from '../core/callers';
import type { IdempotencyClaim } from '../core/idempotency';
import type { JobStarter } from '../core/job-starter';
import type { Tables, TransactItem } from '../core/state-store';
import type { ApiRequest } from './http';

/** What every operation may use: the same in Lambda, in the local control plane and in tests. */
export interface Dependencies {
  readonly tables: Tables;
  readonly config: PlatformConfig;
  readonly jobStarter: JobStarter;
  readonly now: () => Date;
  /** How long a resolved caller may be reused (0: read the team registry on every request). */
  readonly callerTtlMs?: number;
  /** Reports a failure that did not change the answer (e.g. a job start left for the reconciler). */
  readonly warn: (message: string, detail: Record<string, unknown>) => void;
}

export interface OperationContext<TParams = Record<string, string>, TQuery = unknown, TBody = unknown> {
  readonly deps: Dependencies;
  readonly request: ApiRequest;
  readonly caller: Caller;
  readonly params: TParams;
  readonly query: TQuery;
  readonly body: TBody;
  readonly time: string;
  readonly idempotency?: IdempotencyClaim;
  /**
   * The audit record of this call, to be written in the same transaction as the change
   * (`auditItems`); the router writes it on its own for calls that change nothing.
   */
  audit(entity: string, metadata?: Record<string, unknown>): TransactItem;
}

export interface OperationResult {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export type Operation = (context: OperationContext<any, any, any>) => Promise<OperationResult>;

export type AuditDraft = Omit<AuditRecord, 'outcome' | 'status' | 'entity' | 'metadata'>;
