import { EXTERNAL_ID_RANDOM_BYTES, newExternalId } from '../../../lib/access/external-id';
import { ExternalId } from '../../../lib/contract/tenant-spec';

test('10,000 generated ExternalIds are unique and match the TenantSpec schema', () => {
  const ids = Array.from({ length: 10_000 }, () => newExternalId());
  expect(new Set(ids).size).toBe(10_000);
  const invalid = ids.filter((id) => !ExternalId.safeParse(id).success);
  expect(invalid).toEqual([]);
  for (const id of ids.slice(0, 100)) expect(id).toMatch(/^sici-[0-9a-f]{48}$/);
});

test('an ExternalId carries at least 128 random bits, spread over every hex digit position', () => {
  expect(EXTERNAL_ID_RANDOM_BYTES * 8).toBeGreaterThanOrEqual(128);
  // Every position takes many values over a few thousand ids: nothing is fixed or derived from a counter.
  const ids = Array.from({ length: 2_000 }, () => newExternalId().slice('sici-'.length));
  for (let position = 0; position < EXTERNAL_ID_RANDOM_BYTES * 2; position++) {
    expect(new Set(ids.map((id) => id[position])).size).toBe(16);
  }
});

test('an ExternalId needs no quoting in a URL, a properties file or a shell', () => {
  const id = newExternalId();
  expect(encodeURIComponent(id)).toBe(id);
  expect(id).toMatch(/^[A-Za-z0-9-]+$/);
});
