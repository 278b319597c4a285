import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPlatformConfig, parsePlatformConfig, PLATFORM_CONFIG_KIND } from '../../../lib/config/load-platform-config';
import { engineLicenseSecretArnOf, identityProviderOf } from '../../../lib/config/platform-config';
import { DocumentError } from '../../../lib/contract/documents';
import { documentProblems } from '../../support/document-problems';

const example = () => JSON.parse(readFileSync('config/platform.json', 'utf8'));
const problemsOf = (document: unknown): string[] => documentProblems(() => parsePlatformConfig(document, 'test.json'), PLATFORM_CONFIG_KIND);

describe('platform configuration', () => {
  it('loads the shipped configuration', () => {
    const config = loadPlatformConfig('config/platform.json');
    expect(Object.keys(config.tiers)).toEqual(['S', 'M', 'L']);
    expect(config.queryRecordRetentionDays).toBe(90);
  });

  it('names each bad field and what it expects', () => {
    const config = example();
    config.tiers.M.worker.count = 0;
    config.environments.dev.account = '1234';
    config.engine.image.digest = 'latest';
    config.admins = ['bob'];
    config.approvedConnectors = ['s3-hive', 'ftp'];
    config.surprise = true;
    const problems = problemsOf(config);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^tiers\.M\.worker\.count: .*>=1/),
        'environments.dev.account: a 12-digit AWS account id',
        'engine.image.digest: an image digest sha256:<64 hex>',
        'admins.0: an IAM user or role ARN',
        expect.stringMatching(/^approvedConnectors\.1: /),
        expect.stringMatching(/^\(root\): Unrecognized key: "surprise"/),
      ]),
    );
  });

  it('requires a price for every instance type a tier uses', () => {
    const config = example();
    delete config.prices.nodeHour['r7i.2xlarge'];
    expect(problemsOf(config)).toEqual(['prices.nodeHour.r7i.2xlarge: a price for r7i.2xlarge, used by tier M worker']);
  });

  it('takes the identity provider of the platform, with an environment overriding parts of it', () => {
    const config = loadPlatformConfig('config/platform.json');
    const test = identityProviderOf(config, config.environments.test!);
    expect(test).toMatchObject({ issuer: config.identityProvider.issuer, clientId: config.identityProvider.clientId });
    expect(test.clientSecretArn).toContain(`:${config.environments.test!.account}:`);
    expect(identityProviderOf(config, config.environments.dev!)).toEqual(config.identityProvider);
    expect(engineLicenseSecretArnOf(config, config.environments.prod!)).toContain(`:${config.environments.prod!.account}:`);
  });

  it('refuses identity provider and licence settings that no cluster could use', () => {
    const config = example();
    config.identityProvider.issuer = 'http://login.example.com';
    config.identityProvider.scopes = ['email'];
    config.identityProvider.clientSecretArn = 'the-secret-itself';
    config.environments.test.identityProvider.clientSecretArn = config.environments.dev.engineLicenseSecretArn; // in dev's account
    delete config.environments.prod.engineLicenseSecretArn;
    config.environments.dev.engineLicenseSecretArn = 'arn:aws:s3:::not-a-secret';
    const problems = problemsOf(config);
    expect(problems).toEqual(
      expect.arrayContaining([
        'identityProvider.issuer: an https:// URL',
        "identityProvider.scopes: must include 'openid'",
        expect.stringMatching(/^identityProvider\.clientSecretArn: a Secrets Manager secret ARN/),
        expect.stringMatching(/^environments\.dev\.engineLicenseSecretArn: a Secrets Manager secret ARN/),
      ]),
    );
    const valid = example();
    valid.environments.test.identityProvider.clientSecretArn = valid.environments.dev.engineLicenseSecretArn;
    delete valid.environments.prod.engineLicenseSecretArn;
    expect(problemsOf(valid)).toEqual([
      "environments.test.identityProvider.clientSecretArn: the identity provider's client secret for test must be in its account 222222222222 and region us-east-1, not us-east-1:111111111111",
      'environments.prod.engineLicenseSecretArn: a Starburst licence secret ARN for prod (the engine is starburst)',
    ]);
    valid.engine.kind = 'trino';
    expect(problemsOf(valid)).toEqual([expect.stringMatching(/^environments\.test\.identityProvider\.clientSecretArn: /)]);
  });

  it("reports every member of the shipped file, removed, as required (or takes its default), never in zod's words", () => {
    /** Every member of a document, as a path of keys (array items aside). */
    const memberPaths = (value: unknown, path: string[] = []): string[][] =>
      value !== null && typeof value === 'object' && !Array.isArray(value)
        ? Object.entries(value).flatMap(([key, member]) => [[...path, key], ...memberPaths(member, [...path, key])])
        : [];
    // Required by a refinement of the whole document, which says why (a licence for a Starburst engine, a price per instance type, a secret in the environment's account).
    const requiredByRefinement = /^(environments\.\w+\.(engineLicenseSecretArn|identityProvider(\.clientSecretArn)?)|prices\.nodeHour\..+)$/;
    const paths = memberPaths(example());
    expect(paths.length).toBeGreaterThan(60);
    const optional: string[] = [];
    for (const path of paths) {
      const config = example();
      const parent = path.slice(0, -1).reduce<Record<string, unknown>>((node, key) => node[key] as Record<string, unknown>, config);
      delete parent[path[path.length - 1]];
      const field = path.join('.');
      let problems: string[];
      try {
        parsePlatformConfig(config);
        optional.push(field);
        continue;
      } catch (error) {
        expect(error).toBeInstanceOf(DocumentError);
        problems = (error as DocumentError).problems;
      }
      expect([field, problems.filter((problem) => /Invalid (input|option)|received undefined|expected (string|array|object|number)/.test(problem))]).toEqual([field, []]);
      if (!requiredByRefinement.test(field)) expect([field, problems]).toEqual([field, [expect.stringMatching(new RegExp(`^${field.replace(/\./g, '\\.')}: required(, |$)`))]]);
    }
    // What a platform may leave out: an environment (while another remains) and the settings with a default.
    expect(optional).toEqual(expect.arrayContaining(['environments.dev', 'queryRecordRetentionDays', 'querySessionProperties']));
  });

  it('names what a missing field takes', () => {
    const config = example();
    delete config.tiers.S.coordinator.instanceType;
    delete config.engine.kind;
    delete config.network.natGateways;
    delete config.ingestEndpoint;
    expect(problemsOf(config)).toEqual([
      'tiers.S.coordinator.instanceType: required, an EC2 instance type such as m7g.xlarge',
      'engine.kind: required, one of "starburst" or "trino"',
      'network.natGateways: required, one of 0 or 1',
      'ingestEndpoint: required, an https:// URL',
    ]);
  });

  it('says when the file is missing or not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sici-config-'));
    expect(() => loadPlatformConfig(join(dir, 'absent.json'))).toThrow(/absent\.json is not a valid SICI platform configuration:\n {2}- cannot be read \(ENOENT\)/);
    writeFileSync(join(dir, 'broken.json'), '{ "tiers": ');
    expect(() => loadPlatformConfig(join(dir, 'broken.json'))).toThrow(/broken\.json .*\n {2}- is not JSON/);
  });
});
