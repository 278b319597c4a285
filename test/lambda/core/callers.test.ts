import { CallerCache, type Caller } from '../../../lambda/core/callers';

const caller = (principal: string): Caller => ({ kind: 'unknown', principal });

describe('CallerCache', () => {
  it('reuses a resolved caller within its time to live and reloads after it', async () => {
    const cache = new CallerCache(5000);
    const load = jest.fn(async () => caller('p'));
    await cache.resolve('p', 0, load);
    await cache.resolve('p', 4999, load);
    expect(load).toHaveBeenCalledTimes(1);
    await cache.resolve('p', 5000, load);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('never reuses with a time to live of 0, and stays within its size bound', async () => {
    const fresh = new CallerCache(0);
    const load = jest.fn(async () => caller('p'));
    await fresh.resolve('p', 0, load);
    await fresh.resolve('p', 0, load);
    expect(load).toHaveBeenCalledTimes(2);

    const small = new CallerCache(60_000, 2);
    const loads = jest.fn(async () => caller('x'));
    for (const principal of ['a', 'b', 'c']) await small.resolve(principal, 0, loads);
    await small.resolve('a', 1, loads); // evicted as the oldest: loaded again
    await small.resolve('c', 1, loads); // still cached
    expect(loads).toHaveBeenCalledTimes(4);
  });
});
