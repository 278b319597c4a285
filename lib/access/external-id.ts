import { randomBytes } from 'node:crypto';
import { ExternalId } from '../contract/tenant-spec';

/** Bytes of randomness in an ExternalId: 192 bits, well above the 128 bits that make it unguessable. */
export const EXTERNAL_ID_RANDOM_BYTES = 24;

/**
 * A new ExternalId for a datasource: `sici-` and 48 hexadecimal digits from the system CSPRNG.
 * It matches the TenantSpec `ExternalId` schema (letters, digits and hyphens only, so it is URL-safe
 * and needs no quoting in a policy, a properties file or a shell), and the prefix lets a data owner
 * recognize it in a trust policy. It is not a secret, but it must never be chosen by the caller: the
 * control plane generates one per datasource and never reuses it.
 */
export function newExternalId(): string {
  return ExternalId.parse(`sici-${randomBytes(EXTERNAL_ID_RANDOM_BYTES).toString('hex')}`);
}
