import type { Cluster } from '../../lib/contract/api';
import { listClustersOfTeam } from './cluster-store';
import type { Tables } from './tables';
import { listTeams } from './team-store';

const PAGE = { limit: 100 };

/**
 * Every cluster of every registered team, DELETED ones too (their usage is billed): team by team,
 * Queries on the team index and never a Scan. For the scheduled and admin work that spans the fleet.
 */
export async function everyCluster(tables: Tables): Promise<Cluster[]> {
  const clusters: Cluster[] = [];
  let teamToken: string | undefined;
  do {
    const teams = await listTeams(tables, { ...PAGE, nextToken: teamToken });
    for (const team of teams.items) {
      let clusterToken: string | undefined;
      do {
        const page = await listClustersOfTeam(tables, team.teamId, { ...PAGE, nextToken: clusterToken });
        clusters.push(...page.items);
        clusterToken = page.nextToken;
      } while (clusterToken);
    }
    teamToken = teams.nextToken;
  } while (teamToken);
  return clusters;
}
