import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalIdentity } from './sigv4-verifier';

/**
 * The local control plane's IAM stand-in: one access key per demo profile, kept under the data
 * folder in an AWS shared-credentials file (for curl, the SDK and the CLI) and a map from each
 * key to the IAM principal it authenticates as.
 */

export const LOCAL_ACCOUNT = '000000000000';
export const DEMO_TEAMS = ['team-a', 'team-b'] as const;

export interface LocalProfiles {
  readonly credentialsFile: string;
  /** Profile name → identity. */
  readonly profiles: Record<string, LocalIdentity>;
  readonly byAccessKey: ReadonlyMap<string, LocalIdentity>;
}

export const teamPrincipal = (team: string) => `arn:aws:iam::${LOCAL_ACCOUNT}:role/sici-${team}`;

/** Reads the data folder's identities, creating them (with fresh secrets) on first start. */
export function loadOrCreateLocalProfiles(dataDir: string, adminPrincipal: string): LocalProfiles {
  const identitiesFile = join(dataDir, 'identities.json');
  const credentialsFile = join(dataDir, 'credentials');
  let profiles: Record<string, LocalIdentity>;
  if (existsSync(identitiesFile)) {
    profiles = JSON.parse(readFileSync(identitiesFile, 'utf8')) as Record<string, LocalIdentity>;
  } else {
    const identity = (principalArn: string): LocalIdentity => ({
      accessKeyId: `AKIALOCAL${randomBytes(6).toString('hex').toUpperCase()}`.slice(0, 20),
      secretAccessKey: randomBytes(30).toString('base64url'),
      principalArn,
    });
    profiles = {
      'sici-admin': identity(adminPrincipal),
      ...Object.fromEntries(DEMO_TEAMS.map((team) => [`sici-${team}`, identity(teamPrincipal(team))])),
    };
    writeFileSync(identitiesFile, JSON.stringify(profiles, null, 2), { mode: 0o600 });
    writeFileSync(
      credentialsFile,
      Object.entries(profiles)
        .map(([name, id]) => `[${name}]\naws_access_key_id = ${id.accessKeyId}\naws_secret_access_key = ${id.secretAccessKey}\n`)
        .join('\n'),
      { mode: 0o600 },
    );
  }
  return { credentialsFile, profiles, byAccessKey: new Map(Object.values(profiles).map((id) => [id.accessKeyId, id])) };
}
