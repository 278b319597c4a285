/**
 * Tenant VPC CIDRs: consecutive /20 blocks of the platform's `tenantCidrPool`, one per cluster and
 * environment, numbered by an atomic counter (a block is never handed out twice, even when the
 * cluster that held it is deleted: addresses stay unambiguous in logs and flow records).
 */
export const TENANT_PREFIX_LENGTH = 20;

export function nthTenantCidr(pool: string, index: number): string {
  const [base, lengthText] = pool.split('/');
  const poolLength = Number(lengthText);
  const capacity = 2 ** (TENANT_PREFIX_LENGTH - poolLength);
  if (!Number.isInteger(index) || index < 0 || index >= capacity) {
    throw new RangeError(`The tenant CIDR pool ${pool} holds ${capacity} /${TENANT_PREFIX_LENGTH} blocks; block ${index} does not exist`);
  }
  const baseValue = base.split('.').reduce((value, octet) => value * 256 + Number(octet), 0);
  const value = baseValue + index * 2 ** (32 - TENANT_PREFIX_LENGTH);
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256);
  return `${octets.join('.')}/${TENANT_PREFIX_LENGTH}`;
}
