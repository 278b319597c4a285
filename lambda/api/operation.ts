import type { PlatformConfig } from '../../lib/config/platform-config';
import type { AnswerOf, BodyOf, OperationId, ParamsOf, QueryOf, RouteOf } from '../../lib/contract/routes';
import type { AuditRecord } from '../core/audit-log';
import type { AdminCaller, ClusterCaller, TeamCaller } from '../core/callers';
import type { IdempotencyClaim } from '../core/idempotency';
import type { FleetWorkStarter, UpgradeStarter } from '../core/fleet-work';
import type { IngestTokenSource } from '../core/ingest-tokens';
import type { JobStarter } from '../core/job-starter';
import type { Tables, TransactItem } from '../core/tables';
import type { ApiRequest } from './http';

/** What every operation may use: the same in Lambda, in the local control plane and in tests. */
export interface Dependencies {
  readonly tables: Tables;
  readonly config: PlatformConfig;
  readonly jobStarter: JobStarter;
  readonly now: () => Date;
  /** How long a resolved caller may be reused (0: read the team registry on every request). */
  readonly callerTtlMs?: number;
  /** Where a cluster's current ingest token lives, to accept a token rotated since its last deploy. @default none: only recorded tokens */
  readonly ingestTokens?: IngestTokenSource;
  /** Carries out recorded fleet operations (shutdown, resume, drift check). @default none: fleet routes that need it answer 503 */
  readonly fleetWork?: FleetWorkStarter;
  /** Runs accepted upgrade runs. @default none: upgrade routes that need it answer 503 */
  readonly upgrades?: UpgradeStarter;
  /** Reports a failure that did not change the answer (e.g. a job start left for the reconciler). */
  readonly warn: (message: string, detail: Record<string, unknown>) => void;
}

/** The caller of a route: a team principal on team routes, a platform admin on admin routes, either on teamOrAdmin routes (the router makes sure). */
export type CallerOf<Id extends OperationId> = RouteOf<Id>['access'] extends 'admin'
  ? AdminCaller
  : RouteOf<Id>['access'] extends 'cluster'
    ? ClusterCaller
    : RouteOf<Id>['access'] extends 'teamOrAdmin'
      ? TeamCaller | AdminCaller
      : TeamCaller;

/** One call of operation `Id`: every part of the request already parsed by its route's schemas. */
export interface OperationContext<Id extends OperationId> {
  readonly deps: Dependencies;
  readonly request: ApiRequest;
  readonly caller: CallerOf<Id>;
  readonly params: ParamsOf<Id>;
  readonly query: QueryOf<Id>;
  readonly body: BodyOf<Id>;
  readonly time: string;
  readonly idempotency?: IdempotencyClaim;
  /**
   * The audit record of this call, to be written in the same transaction as the change; the
   * router writes it on its own for calls that change nothing.
   */
  audit(entity: string, metadata?: Record<string, unknown>): TransactItem;
}

export interface OperationResult<Id extends OperationId = OperationId> {
  status: number;
  body: AnswerOf<Id>;
  headers?: Record<string, string>;
  /** The same answer as CSV, sent instead of the JSON when the caller accepts `text/csv` (routes marked `csv`). */
  csv?: string;
}

export type Operation<Id extends OperationId> = (context: OperationContext<Id>) => Promise<OperationResult<Id>>;

/** Implementations of a set of operations, each typed by its own route. */
export type Operations<Ids extends OperationId = OperationId> = { readonly [Id in Ids]: Operation<Id> };

export type AuditDraft = Omit<AuditRecord, 'outcome' | 'status' | 'entity' | 'metadata'>;
