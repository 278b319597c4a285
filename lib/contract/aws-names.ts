import * as z from 'zod';

/** AWS identifiers as SICI accepts them, wherever they appear (configuration, API, TenantSpec). */

export const AwsAccountId = z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id');
export const AwsRegion = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'an AWS region such as us-east-1');
export const IamPrincipalArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:iam::\d{12}:(user|role)\/[\w+=,.@/-]+$/, 'an IAM user or role ARN');

export const AcmCertificateArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/, 'an ACM certificate ARN');

/** A DNS host name (lowercase labels), e.g. `c-0123456789abcdef.query.sici.example.com`. */
export const HostName = z
  .string()
  .max(253)
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'a lowercase DNS host name such as c-0123.query.example.com');

/** A Secrets Manager secret by ARN: SICI references secrets it does not own, never their values. */
export const SecretsManagerArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$/, 'a Secrets Manager secret ARN such as arn:aws:secretsmanager:us-east-1:123456789012:secret:name-AbCdEf');
