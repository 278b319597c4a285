import { nthTenantCidr } from '../../../lambda/core/cidr-allocation';

describe('nthTenantCidr', () => {
  test('hands out consecutive /20 blocks of the pool', () => {
    expect(nthTenantCidr('10.64.0.0/12', 0)).toBe('10.64.0.0/20');
    expect(nthTenantCidr('10.64.0.0/12', 1)).toBe('10.64.16.0/20');
    expect(nthTenantCidr('10.64.0.0/12', 16)).toBe('10.65.0.0/20');
    expect(nthTenantCidr('10.64.0.0/12', 255)).toBe('10.79.240.0/20');
  });

  test('refuses a block beyond the pool, or not a block number', () => {
    expect(() => nthTenantCidr('10.64.0.0/12', 256)).toThrow(/holds 256 \/20 blocks; block 256 does not exist/);
    expect(() => nthTenantCidr('10.64.0.0/20', 1)).toThrow(/holds 1 \/20 blocks/);
    expect(() => nthTenantCidr('10.64.0.0/12', -1)).toThrow(RangeError);
    expect(() => nthTenantCidr('10.64.0.0/12', 1.5)).toThrow(RangeError);
  });
});
