import { findStoredAnswer, storeAnswer } from '../core/idempotency';
import { transact, TransactionConflict, type TransactItem } from '../core/tables';
import type { OperationId } from '../../lib/contract/routes';
import type { OperationContext, OperationResult } from './operation';
import { Replay } from './router';

/**
 * Commits a change and, for a call with an `Idempotency-Key`, its answer, in one transaction: a
 * concurrent retry that stored the answer first is replayed; any other failed condition goes to
 * `onConflict`, which throws the problem the caller should see.
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
      if (stored) throw new Replay(stored);
    }
    await onConflict(error);
  }
}
