import { createHash } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { badRequest } from './problems';
import type { Tables, TransactItem } from './tables';

/**
 * `Idempotency-Key` on POSTs. The first answer is stored in the same transaction as the change it
 * answers, so a retry either finds that answer and gets it back, or finds nothing and makes the
 * change: never both, never twice.
 */

export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

export interface IdempotencyClaim {
  /** The key, scoped to the caller (a team cannot read another team's answers). */
  scope: string;
  key: string;
  /** Hash of the request the key was first used with. */
  fingerprint: string;
}

export interface StoredAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  fingerprint: string;
}

export function idempotencyClaim(scope: string, key: string | undefined, request: unknown): IdempotencyClaim | undefined {
  if (key === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw badRequest('The Idempotency-Key header must be 1 to 255 visible ASCII characters.', [
      { field: 'headers.idempotency-key', message: '1 to 255 visible ASCII characters' },
    ]);
  }
  const fingerprint = createHash('sha256').update(JSON.stringify(request)).digest('hex');
  return { scope, key, fingerprint };
}

const idempotencyKey = (claim: IdempotencyClaim) => ({ pk: `IDEMPOTENCY#${claim.scope}#${claim.key}`, sk: 'IDEMPOTENCY' });

export async function findStoredAnswer(tables: Tables, claim: IdempotencyClaim, now: Date): Promise<StoredAnswer | undefined> {
  const { Item } = await tables.doc.send(new GetCommand({ TableName: tables.stateTable, Key: idempotencyKey(claim), ConsistentRead: true }));
  // DynamoDB deletes expired items lazily; an expired answer is treated as gone.
  if (!Item || (Item.expiresAt as number) <= now.getTime() / 1000) return undefined;
  return Item.answer as StoredAnswer;
}

export function storeAnswer(tables: Tables, claim: IdempotencyClaim, answer: Omit<StoredAnswer, 'fingerprint'>, now: Date): TransactItem {
  return {
    Put: {
      TableName: tables.stateTable,
      Item: {
        ...idempotencyKey(claim),
        itemType: 'idempotency',
        answer: { ...answer, fingerprint: claim.fingerprint },
        expiresAt: Math.floor(now.getTime() / 1000) + IDEMPOTENCY_TTL_SECONDS,
      },
      // An expired record may still be there; it may be replaced.
      ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
      ExpressionAttributeValues: { ':now': Math.floor(now.getTime() / 1000) },
    },
  };
}
