import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { parsePlatformConfig, PLATFORM_CONFIG_KIND } from '../../../lib/config/load-platform-config';
import { CreateClusterRequest, CreateDatasourceRequest, PutTeamRequest } from '../../../lib/contract/api';
import { describeIssues } from '../../../lib/contract/documents';
import { S3BucketArn, S3Prefix } from '../../../lib/contract/tenant-spec';
import { expecting, fieldErrors, validationMessage } from '../../../lib/contract/validation-messages';
import { documentProblems } from '../../support/document-problems';

/**
 * The wording of schema failures, shared by the API's field errors and the documents' error lines:
 * an absent field is "required" with what it takes, a wrong JSON type says what was expected and
 * what came, and no message is zod's generic "Invalid option" or "received undefined".
 */

const errorsOf = (schema: z.ZodType, value: unknown) => {
  const result = schema.safeParse(value);
  if (result.success) throw new Error(`expected ${JSON.stringify(value)} to be refused`);
  return fieldErrors(result.error.issues);
};

describe('an absent field', () => {
  it('is required, with what it takes: a pattern\'s message, the values of an enumeration, a string format, or the JSON type', () => {
    const schema = z.strictObject({
      account: z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id'),
      tier: z.enum(['S', 'M', 'L']),
      currency: z.literal('USD'),
      nat: z.union([z.literal(0), z.literal(1)]),
      cidr: z.cidrv4(),
      count: z.number().int().min(1),
      nested: z.strictObject({ name: z.string() }),
      list: z.array(z.string()).refine((items) => items.length > 0, 'must not be empty'),
    });
    expect(errorsOf(schema, {})).toEqual([
      { field: 'account', message: 'required, a 12-digit AWS account id' },
      { field: 'tier', message: 'required, one of "S", "M" or "L"' },
      { field: 'currency', message: 'required, "USD"' },
      { field: 'nat', message: 'required, one of 0 or 1' },
      { field: 'cidr', message: 'required, an IPv4 CIDR block such as 10.0.0.0/16' },
      { field: 'count', message: 'required, a number' },
      { field: 'nested', message: 'required, an object' },
      // A refinement says what is wrong with a value, not what the field takes.
      { field: 'list', message: 'required, an array' },
    ]);
    expect(errorsOf(schema, { nested: {} })).toContainEqual({ field: 'nested.name', message: 'required, a string' });
  });

  it('is required with the example of its metadata, when its schema has no pattern', () => {
    const schema = z.strictObject({ prefixes: z.array(z.string()).meta({ example: ['sales/'] }) });
    expect(errorsOf(schema, {})).toEqual([{ field: 'prefixes', message: 'required, an array such as ["sales/"]' }]);
  });

  it('is required with the text of `expecting`, which outranks the map as a schema\'s own error', () => {
    const schema = z.strictObject({ url: z.url({ protocol: /^https$/, error: expecting('an https:// URL') }) });
    expect(errorsOf(schema, {})).toEqual([{ field: 'url', message: 'required, an https:// URL' }]);
    expect(errorsOf(schema, { url: 'http://example.com' })).toEqual([{ field: 'url', message: 'an https:// URL' }]);
    // A fixed text would not say so: that is why schemas use `expecting`.
    expect(errorsOf(z.strictObject({ url: z.url({ error: 'an https:// URL' }) }), {})).toEqual([{ field: 'url', message: 'an https:// URL' }]);
  });
});

describe('a present value', () => {
  it('of the wrong JSON type says what the field takes and what it got', () => {
    const schema = z.strictObject({ account: z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id'), list: z.array(z.string()), flag: z.boolean(), n: z.number() });
    expect(errorsOf(schema, { account: 210987654321, list: 'a', flag: 'yes', n: null })).toEqual([
      { field: 'account', message: 'a 12-digit AWS account id, not a number' },
      { field: 'list', message: 'an array, not a string' },
      { field: 'flag', message: 'true or false, not a string' },
      { field: 'n', message: 'a number, not null' },
    ]);
  });

  it('outside an enumeration lists its values', () => {
    expect(errorsOf(CreateClusterRequest, { environment: 'staging', tier: 'XL' })).toEqual([
      { field: 'environment', message: 'one of "dev", "test" or "prod"' },
      { field: 'tier', message: 'one of "S", "M" or "L"' },
    ]);
  });

  it("keeps its schema's own message, and zod's for what the map leaves alone", () => {
    expect(errorsOf(z.strictObject({ a: z.string().regex(/^a$/, 'the letter a') }), { a: 'b' })).toEqual([{ field: 'a', message: 'the letter a' }]);
    expect(errorsOf(z.strictObject({}), { surprise: 1 })).toEqual([{ field: '', message: 'Unrecognized key: "surprise"' }]);
    expect(validationMessage({ code: 'too_small', origin: 'number', minimum: 1, input: 0, inclusive: true, path: [] })).toBeUndefined();
  });
});

describe('the request schemas', () => {
  it('name every absent field of a datasource as required', () => {
    expect(errorsOf(CreateDatasourceRequest, {})).toEqual([
      { field: 'type', message: 'required, one of "s3-hive" or "s3-iceberg"' },
      { field: 'externalAccountId', message: 'required, a 12-digit AWS account id' },
      { field: 'bucketArn', message: 'required, an S3 bucket ARN such as arn:aws:s3:::my-bucket' },
      { field: 'prefixes', message: 'required, an array such as ["sales/"]' },
      { field: 'region', message: 'required, an AWS region such as us-east-1' },
    ]);
    expect(errorsOf(PutTeamRequest, {})).toEqual([
      { field: 'principals', message: 'required, an array' },
      { field: 'entitlements', message: 'required, an object' },
    ]);
  });
});

describe('a bucket ARN', () => {
  it('given as a bucket name or an s3:// URL is one error that says how to write it', () => {
    expect(errorsOf(S3BucketArn, 'team-a-lake')).toEqual([
      { field: '', message: 'an S3 bucket ARN such as arn:aws:s3:::my-bucket (got a bucket name: use arn:aws:s3:::team-a-lake)' },
    ]);
    expect(errorsOf(S3BucketArn, 's3://team-a-lake/')).toEqual([
      { field: '', message: 'an S3 bucket ARN such as arn:aws:s3:::my-bucket (got a bucket URL: use arn:aws:s3:::team-a-lake)' },
    ]);
  });

  it('that is neither an ARN nor a bucket name is one error, without a hint', () => {
    expect(errorsOf(S3BucketArn, 'Team_A')).toEqual([{ field: '', message: 'an S3 bucket ARN such as arn:aws:s3:::my-bucket' }]);
    expect(errorsOf(S3BucketArn, 'arn:aws:s3:::Team_A')).toEqual([{ field: '', message: expect.stringMatching(/^bucket name "Team_A" must be 3 to 63/) }]);
  });
});

describe('a prefix', () => {
  it('is kept in its folder form: a trailing slash is added when it has none', () => {
    expect(S3Prefix.parse('events')).toBe('events/');
    expect(S3Prefix.parse('events/2026')).toBe('events/2026/');
    expect(S3Prefix.parse('events/')).toBe('events/');
    expect(S3Prefix.parse('x'.repeat(511))).toHaveLength(512);
    expect(errorsOf(S3Prefix, 'x'.repeat(512))).toEqual([{ field: '', message: 'at most 512 characters, with the trailing slash' }]);
  });
});

describe('a document', () => {
  it('is told in lines worded as the API words its field errors', () => {
    const document = JSON.parse(readFileSync('config/platform.json', 'utf8')) as { network: Record<string, unknown> };
    delete document.network.tenantCidrPool;
    expect(documentProblems(() => parsePlatformConfig(document), PLATFORM_CONFIG_KIND)).toEqual(['network.tenantCidrPool: required, an IPv4 CIDR block such as 10.0.0.0/16']);
    const issues = z.strictObject({ tenantCidrPool: z.cidrv4() }).safeParse({}).error!.issues;
    expect(describeIssues(issues)).toEqual(['tenantCidrPool: required, an IPv4 CIDR block such as 10.0.0.0/16']);
    expect(fieldErrors(issues, 'body')).toEqual([{ field: 'body.tenantCidrPool', message: 'required, an IPv4 CIDR block such as 10.0.0.0/16' }]);
  });
});
