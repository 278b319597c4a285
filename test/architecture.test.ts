import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The rules of the layout (DESIGN.md §7–8), checked on the sources: which folder may import which,
 * where DynamoDB is written, and that no list is a Scan.
 */

const ROOT = join(__dirname, '..');

const sources = (dir: string): string[] =>
  readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(ROOT, path)).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });

/** The project files a source file imports (relative imports only), as paths from the root without extension. */
function localImports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import\(?|require\()\s*'(\.[^']+)'/g)].map((m) => m[1]);
  return specifiers.map((specifier) => relative(ROOT, resolve(ROOT, dirname(file), specifier)));
}

const importsInto = (files: string[], folder: string) =>
  files.flatMap((file) => localImports(file).filter((target) => target.startsWith(folder)).map((target) => `${file} → ${target}`));

const LIB = sources('lib');
const LAMBDA = sources('lambda');

test('lib/ never imports runtime code (lambda/)', () => {
  expect(LIB.length).toBeGreaterThan(40);
  expect(importsInto(LIB, 'lambda/')).toEqual([]);
});

test('lib/contract and lib/config do not import each other in a circle: config uses the contract, never the reverse', () => {
  const contract = sources('lib/contract');
  expect(importsInto(contract, 'lib/').filter((edge) => !edge.split(' → ')[1].startsWith('lib/contract/'))).toEqual([]);
  expect(importsInto(sources('lib/config'), 'lib/config/').length + importsInto(sources('lib/config'), 'lib/contract/').length).toBeGreaterThan(0);
});

test('runtime code imports from lib/ only the contract, the configuration schema and the pure access documents', () => {
  const allowed = ['lib/contract/', 'lib/config/', 'lib/access/'];
  // The local host runs CDK code: it synthesizes the control plane (and the upgrade state machine) to
  // run the exact state machines it deploys, and it runs the compiled app as the deploy runner does.
  const localHost = [
    'lambda/local/workflow-definition.ts → lib/control-plane/',
    'lambda/local/upgrade-definition.ts → lib/control-plane/',
    'lambda/local/local-deployer.ts → lib/control-plane/workflow/compiled-app',
  ];
  const offending = importsInto(LAMBDA, 'lib/').filter(
    (edge) => !localHost.some((exception) => edge.startsWith(exception)) && !allowed.some((folder) => edge.split(' → ')[1].startsWith(folder)),
  );
  expect(offending).toEqual([]);
});

test('the contract and the access documents are pure: no aws-cdk-lib in what the Lambdas bundle', () => {
  const pure = [...sources('lib/contract'), ...sources('lib/access')];
  const offenders = pure.filter((file) => /from '(aws-cdk-lib|constructs)[/']/.test(readFileSync(join(ROOT, file), 'utf8')));
  expect(offenders).toEqual([]);
});

test('only the core writes DynamoDB: lambda/api and lambda/workflow build no command, key or condition', () => {
  const orchestration = [...sources('lambda/api'), ...sources('lambda/workflow')];
  expect(orchestration.length).toBeGreaterThan(10);
  const offenders = orchestration.filter((file) =>
    /\b(Get|Put|Update|Delete|Query|TransactWrite|BatchWrite)(Item)?Command\b|ConditionExpression|UpdateExpression|\bpk:/.test(readFileSync(join(ROOT, file), 'utf8')),
  );
  expect(offenders).toEqual([]);
});

test('no Scan anywhere under lambda/: every list is a Query on a key or index', () => {
  expect(LAMBDA.length).toBeGreaterThan(10);
  const offenders = LAMBDA.filter((file) => /\bScan(Command|Input|Output)\b|\.scan\(|\.Scan\b/.test(readFileSync(join(ROOT, file), 'utf8')));
  expect(offenders).toEqual([]);
});
