import * as z from 'zod';

/**
 * Who may query a team's clusters: groups of the corporate identity provider, each with one of
 * the platform's query roles. A platform admin registers them on the team; the cluster's generated
 * access rules (lib/access/access-control-rules.ts) name exactly these groups.
 *
 * - `reader`: SELECT on every catalog of the team's clusters.
 * - `writer`: also writes, on read-write datasources only.
 * - `admin`:  a writer that also sees and kills every query on the team's clusters.
 */
export const QUERY_ROLES = ['reader', 'writer', 'admin'] as const;
export const QueryRole = z.enum(QUERY_ROLES);
export type QueryRole = z.infer<typeof QueryRole>;

/**
 * A group as the identity provider names it in its groups claim: Okta and Entra group names, or
 * Keycloak group paths. Printable characters only, no leading or trailing space.
 */
export const IdpGroupName = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[A-Za-z0-9_.@/:+=&()#-](?:[ A-Za-z0-9_.@/:+=&()#-]*[A-Za-z0-9_.@/:+=&()#-])?$/, "1 to 256 letters, digits, spaces or _ . @ / : + = & ( ) # -, not starting or ending with a space");

export const QueryGroup = z.strictObject({ name: IdpGroupName, role: QueryRole });
export type QueryGroup = z.infer<typeof QueryGroup>;

/** A team's query groups: each group once. */
export const QueryGroups = z
  .array(QueryGroup)
  .max(20)
  .superRefine((groups, ctx) => {
    const seen = new Set<string>();
    groups.forEach((group, index) => {
      if (seen.has(group.name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `group ${group.name} is listed twice` });
      seen.add(group.name);
    });
  });
