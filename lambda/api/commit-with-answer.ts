import { findStoredAnswer, storeAnswer } from '../core/idempotency';
import { idempotencyKeyReused } from '../core/problems';
import { transact, TransactionConflict, type TransactItem } from '../core/tables';
import type { OperationId } from '../../lib/contract/routes';
import type { OperationContext, OperationResult } from './operation';
import { Replay } from './router';

/**
 * Commits a change and, for a call with an `Idempotency-Key`, its answer, in one transaction: when a
 * concurrent call with the same key stored its answer first, that answer is replayed if it answered
 * the same request and refused (422) otherwise; any other failed condition goes to `onConflict`,
 * which throws the problem the caller should see.
 */
export async function commitWithAnswer(
  context: Pick<OperationContext<OperationId>, 'deps' | 'idempotency'>,
  items: TransactItem[],
  answer: OperationResult,
  onConflict: (error: TransactionConflict) => Promise<never> | never,
): Promise<void> {
  const { deps } = context;
  const all = [...items];
  if (context.idempotency) {
    all.push(
      storeAnswer(
        deps.tables,
        context.idempotency,
        { status: answer.status, headers: { 'content-type': 'application/json', ...answer.headers }, body: JSON.stringify(answer.body) },
        deps.now(),
      ),
    );
  }
  try {
    await transact(deps.tables, all);
  } catch (error) {
    if (!(error instanceof TransactionConflict)) throw error;
    if (context.idempotency && error.failedIndexes.includes(items.length)) {
      const stored = await findStoredAnswer(deps.tables, context.idempotency, deps.now());
      // A retry that lost the race gets the first answer only if it is the same request.
      if (stored && stored.fingerprint !== context.idempotency.fingerprint) throw idempotencyKeyReused();
      if (stored) throw new Replay(stored);
    }
    await onConflict(error);
  }
}
