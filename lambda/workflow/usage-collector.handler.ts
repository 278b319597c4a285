import { Logger } from '@aws-lambda-powertools/logger';
import { bundledPlatformConfig, tablesFromEnv } from '../core/env';
import { ContainerInsightsReader } from './container-insights-reader';
import { EmfNodeUsageMetrics } from './node-usage-metrics';
import { collectNodeUsage } from './usage-collector';

const logger = new Logger();
const deps = {
  tables: tablesFromEnv(),
  config: bundledPlatformConfig(),
  nodeMetrics: new ContainerInsightsReader(),
  metrics: new EmfNodeUsageMetrics(),
  now: () => new Date(),
};

/** Scheduled: writes what each cluster's nodes used in the last hours into its hourly usage windows. */
export async function handler() {
  const summary = await collectNodeUsage(deps);
  logger.info('node usage collected', { ...summary });
  // An environment that could not be read fails the run (its error alarms), after the others were written.
  if (summary.failed.length) throw new Error(`Node usage not read in ${summary.failed.map((f) => `${f.environment} (${f.error})`).join(', ')}`);
  return summary;
}
