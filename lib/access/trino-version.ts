import type { EngineConfig } from '../contract/platform-names';

/**
 * The Trino release an engine runs, derived from its pinned image tag: open-source Trino images are
 * tagged with the release (`476`), Starburst Enterprise images with the release it is built on and
 * its own patch level (`476-e`, `476-e.1`). What the generated configuration may contain depends on
 * it: properties come and go between Trino releases.
 */
export function trinoVersion(engine: Pick<EngineConfig, 'kind' | 'image'>): number {
  const pattern = engine.kind === 'starburst' ? /^(\d{3,})-e(\.\d+)*$/ : /^(\d{3,})$/;
  const match = pattern.exec(engine.image.tag);
  if (!match) {
    const expected = engine.kind === 'starburst' ? 'a Starburst Enterprise release such as 476-e.1' : 'a Trino release such as 476';
    throw new Error(`Cannot tell the Trino release of the ${engine.kind} image tag "${engine.image.tag}": expected ${expected}`);
  }
  return Number(match[1]);
}
