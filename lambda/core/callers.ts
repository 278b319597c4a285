import type { Team } from '../../lib/contract/api';
import type { Tables } from './tables';
import { getTeam, teamDocument, teamOfPrincipal } from './team-store';

/** Who is calling: a platform admin, a registered team's principal, or nobody we know. */
export type AdminCaller = { kind: 'admin'; principal: string };
export type TeamCaller = { kind: 'team'; principal: string; team: Team };
/** A tenant cluster's engine, authenticated by its ingest token (see ./ingest-tokens.ts). */
export type ClusterCaller = { kind: 'cluster'; principal: string; clusterId: string; teamId: string; environment: string };
export type Caller = AdminCaller | TeamCaller | ClusterCaller | { kind: 'unknown'; principal: string };

/**
 * IAM principals as teams register them. A role session (`arn:aws:sts::A:assumed-role/R/S`)
 * calls as its role (`arn:aws:iam::A:role/R`); role paths are not part of a session ARN, so
 * teams register roles without a path.
 */
export function normalizePrincipal(arn: string): string {
  const session = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(arn);
  return session ? `arn:${session[1]}:iam::${session[2]}:role/${session[3]}` : arn;
}

/** How long API hosts reuse a resolved caller. */
export const CALLER_TTL_MS = 5000;

/**
 * Remembers resolved callers for a few seconds, sparing two reads on most requests. A change to
 * the team registry (a principal removed, an entitlement lowered) reaches a warm host within the
 * time to live; quotas are never read from here (they are enforced by conditional writes).
 */
export class CallerCache {
  private readonly entries = new Map<string, { caller: Caller; expires: number }>();
  constructor(
    readonly ttlMs: number,
    private readonly maxEntries = 1000,
  ) {}

  async resolve(principal: string, now: number, load: () => Promise<Caller>): Promise<Caller> {
    const hit = this.entries.get(principal);
    if (hit && hit.expires > now) return hit.caller;
    const caller = await load();
    if (this.ttlMs > 0) {
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(principal, { caller, expires: now + this.ttlMs });
    }
    return caller;
  }
}

export async function resolveCaller(tables: Tables, admins: readonly string[], principalArn: string | undefined): Promise<Caller> {
  if (!principalArn) return { kind: 'unknown', principal: 'anonymous' };
  const principal = normalizePrincipal(principalArn);
  if (admins.includes(principal)) return { kind: 'admin', principal };
  const teamId = await teamOfPrincipal(tables, principal);
  const team = teamId ? await getTeam(tables, teamId) : undefined;
  return team ? { kind: 'team', principal, team: teamDocument(team) } : { kind: 'unknown', principal };
}
