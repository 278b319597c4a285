import { AssumeRoleCommand, STSClient, type STSClientConfig } from '@aws-sdk/client-sts';
import { awsPartition } from '../../lib/contract/tenant-spec';
import { TENANT_READER_ROLE_NAME } from '../../lib/contract/workflow';

/** How an adapter's SDK clients reach AWS; tests put a fake HTTP handler here. */
export interface AwsClientOptions {
  /** @default the SDK's Node.js HTTP handler */
  readonly requestHandler?: STSClientConfig['requestHandler'];
  /** The function's own credentials, where the role chain starts. @default the SDK's default provider chain */
  readonly credentials?: STSClientConfig['credentials'];
}

/** Temporary credentials, as an SDK client's `credentials` provider resolves them. */
export interface SessionCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

/**
 * Credentials of an environment account's `sici-tenant-reader` role (the control plane's one way
 * into an environment account), assumed from the function's own and assumed again before they expire.
 */
export function tenantReaderCredentials(environment: { account: string; region: string }, sessionName: string, options: AwsClientOptions = {}): () => Promise<SessionCredentials> {
  return environmentRoleCredentials(environment, TENANT_READER_ROLE_NAME, sessionName, options);
}

/** Credentials of role `roleName` of an environment account, assumed and renewed as the reader's are (the fleet worker's `sici-tenant-operator`). */
export function environmentRoleCredentials(
  environment: { account: string; region: string },
  roleName: string,
  sessionName: string,
  options: AwsClientOptions = {},
): () => Promise<SessionCredentials> {
  const sts = new STSClient({ region: environment.region, requestHandler: options.requestHandler, credentials: options.credentials });
  const roleArn = `arn:${awsPartition(environment.region)}:iam::${environment.account}:role/${roleName}`;
  let current: SessionCredentials | undefined;
  return async () => {
    // Renewed five minutes before they expire.
    if (current && current.expiration.getTime() - Date.now() > 5 * 60_000) return current;
    const { Credentials } = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName, DurationSeconds: 3600 }));
    if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey || !Credentials.SessionToken) throw new Error(`AssumeRole of ${roleArn} returned no credentials`);
    current = {
      accessKeyId: Credentials.AccessKeyId,
      secretAccessKey: Credentials.SecretAccessKey,
      sessionToken: Credentials.SessionToken,
      expiration: Credentials.Expiration ?? new Date(Date.now() + 15 * 60_000),
    };
    return current;
  };
}
