import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const sources = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });

it('has no Scan anywhere under lambda/: every list is a Query on a key or index', () => {
  const files = sources('lambda');
  expect(files.length).toBeGreaterThan(10);
  const offenders = files.filter((file) => /\bScan(Command|Input|Output)\b|\.scan\(|\.Scan\b/.test(readFileSync(file, 'utf8')));
  expect(offenders).toEqual([]);
});
