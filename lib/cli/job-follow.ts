import type { ClusterEvent, ProvisioningJob } from '../contract/api';
import type { STATE_NAMES } from '../contract/workflow';
import type { CommandContext, Stream } from './context';
import { CliError, ConnectionError, EXIT } from './errors';
import { formatDuration } from './output';
import { ApiError, clean } from './problem';

/**
 * `--wait`: follows a provisioning job to its end through its cluster's events
 * (GET /clusters/{id}/events) and the job (GET /jobs/{id}), showing the workflow's steps as they
 * happen: on a terminal one line per event under a redrawn line with the current step and the
 * elapsed time; elsewhere (a pipe, a log) one line per event. All of it on stderr: stdout keeps
 * the document the command prints at the end.
 */

type StepKey = keyof typeof STATE_NAMES;

/** What each event says about the workflow (lambda/workflow, lambda/core/job-lifecycle, the deployers). */
const EVENT_STEPS: Readonly<Record<string, { step?: StepKey; label?: string; effect: 'done' | 'underway' | 'restart' | 'rewind' | 'none' }>> = {
  JOB_ACCEPTED: { label: 'Accepted', effect: 'none' },
  JOB_RUNNING: { step: 'startJob', effect: 'done' },
  JOB_RESUMED: { label: 'Resume job', effect: 'restart' },
  ENTITLEMENT_VALIDATED: { step: 'validateEntitlement', effect: 'done' },
  CLUSTER_ALLOCATED: { step: 'allocateCluster', effect: 'done' },
  TENANT_POLICY_CHECKED: { step: 'writeTenantSpec', effect: 'underway' },
  TENANT_SPEC_WRITTEN: { step: 'writeTenantSpec', effect: 'done' },
  DEPLOY_STARTED: { step: 'deployTenantStack', effect: 'underway' },
  STACK_SYNTHESIZED: { step: 'deployTenantStack', effect: 'done' },
  DEPLOY_FAILED: { step: 'deployTenantStack', effect: 'underway' },
  STACK_DESTROYED: { step: 'destroyTenantStack', effect: 'done' },
  ENDPOINT_REGISTERED: { step: 'registerEndpoint', effect: 'done' },
  DATASOURCE_ACCESS_VALIDATED: { step: 'validateAccess', effect: 'done' },
  // The workflow goes on with Write TenantSpec again, without the datasource.
  DATASOURCE_REJECTED: { step: 'rejectDatasource', effect: 'rewind' },
  JOB_SUCCEEDED: { step: 'completeJob', effect: 'done' },
  JOB_FAILED: { step: 'failJob', effect: 'none' },
};

/** The steps a job of each operation goes through, in order (lib/control-plane/workflow/workflow-state-machine.ts). */
function stepsOf(operationType: ProvisioningJob['operationType']): StepKey[] {
  if (operationType === 'DELETE') return ['startJob', 'destroyTenantStack', 'completeJob'];
  return [
    'startJob',
    'validateEntitlement',
    'allocateCluster',
    'writeTenantSpec',
    'deployTenantStack',
    'registerEndpoint',
    ...(operationType === 'ADD_DATASOURCE' ? (['validateAccess'] as const) : []),
    'completeJob',
  ];
}

/** Where a job's workflow is, from its events: the label of each event's step, and the step underway. */
export class StepTracker {
  private readonly steps: StepKey[];
  /** Index of the last step known done (-1: none yet). */
  private furthest = -1;

  constructor(
    operationType: ProvisioningJob['operationType'],
    private readonly names: typeof STATE_NAMES,
  ) {
    this.steps = stepsOf(operationType);
  }

  /** Takes an event into account; returns the label of the step it reports. */
  apply(event: Pick<ClusterEvent, 'type'>): string {
    const known = EVENT_STEPS[event.type];
    if (!known) return event.type;
    const index = known.step ? this.steps.indexOf(known.step) : -1;
    if (known.effect === 'done' && index >= 0) this.furthest = Math.max(this.furthest, index);
    else if (known.effect === 'underway' && index >= 0) this.furthest = Math.max(this.furthest, index - 1);
    else if (known.effect === 'restart') this.furthest = -1;
    else if (known.effect === 'rewind') this.furthest = this.steps.indexOf('writeTenantSpec') - 1;
    return known.label ?? (known.step ? this.names[known.step] : event.type);
  }

  /** The step underway (the one after the last done), or undefined past the last one. */
  current(): string | undefined {
    const next = this.steps[this.furthest + 1];
    return next ? this.names[next] : undefined;
  }
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const LABEL_WIDTH = 26;

/** The progress lines on stderr: plain lines, plus on a terminal a status line redrawn in place. */
export class ProgressDisplay {
  private live?: string;
  private frame = 0;
  private timer?: NodeJS.Timeout;
  private drawn = false;

  constructor(
    private readonly stream: Stream,
    private readonly tty: boolean,
    private readonly now: () => number,
    /** When the job started (its startedAt), for elapsed times. */
    private readonly jobStart: number,
  ) {}

  line(text: string): void {
    this.clear();
    this.stream.write(`${this.fit(text)}\n`);
    this.draw();
  }

  /** One event of the job, with the time since the job started and the step it reports. */
  event(event: ClusterEvent, label: string): void {
    const elapsed = Math.max(0, Date.parse(event.time) - this.jobStart);
    this.line(`  [${formatDuration(elapsed).padStart(7)}] ${label.padEnd(LABEL_WIDTH)} ${clean(event.message)}`);
  }

  /** The step underway (on a terminal only: a redrawn line with a spinner and the elapsed time). */
  status(label: string | undefined): void {
    if (!this.tty) return;
    this.live = label;
    this.timer ??= setInterval(() => this.draw(), 200);
    this.timer.unref?.();
    this.draw();
  }

  end(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
    this.live = undefined;
  }

  private draw(): void {
    if (!this.tty || !this.live) return;
    this.frame = (this.frame + 1) % SPINNER.length;
    const elapsed = formatDuration(Math.max(0, this.now() - this.jobStart));
    this.stream.write(`\r\x1b[2K${this.fit(`${SPINNER[this.frame]} ${this.live}… ${elapsed}`)}`);
    this.drawn = true;
  }

  private clear(): void {
    if (this.drawn) this.stream.write('\r\x1b[2K');
    this.drawn = false;
  }

  private fit(text: string): string {
    const columns = this.stream.columns;
    return this.tty && columns && text.length > columns ? `${text.slice(0, columns - 1)}…` : text;
  }
}

/**
 * Reads a cluster's events from where the last read ended: it keeps the token of the last page that
 * had events and reads on from there, skipping the events already seen, so each event is returned
 * once however the pages fall. Only the job's own events are returned.
 */
export class EventCursor {
  private token?: string;
  private readonly seen = new Set<string>();

  constructor(
    private readonly ctx: CommandContext,
    private readonly clusterId: string,
    private readonly jobId: string,
  ) {}

  async next(): Promise<ClusterEvent[]> {
    const fresh: ClusterEvent[] = [];
    let token = this.token;
    for (;;) {
      const page = (await this.ctx.call('listClusterEvents', { params: { clusterId: this.clusterId }, query: { limit: 100, nextToken: token } })).document;
      for (const event of page.items) {
        const key = JSON.stringify([event.time, event.type, event.jobId, event.message]);
        if (this.seen.has(key)) continue;
        this.seen.add(key);
        if (event.jobId === this.jobId) fresh.push(event);
      }
      if (page.items.length > 0) this.token = token;
      if (!page.nextToken) return fresh;
      token = page.nextToken;
    }
  }
}

/** The job's operation failed (exit 3): the step and cause, as the job records them. */
export class JobFailedError extends CliError {
  constructor(readonly job: ProvisioningJob) {
    const details = job.errorDetails
      ? [`step: ${clean(job.errorDetails.step)}`, `cause: ${clean(job.errorDetails.cause)}`]
      : ['the job records no step or cause; see its events: sici events ' + job.clusterId];
    super(`${job.operationType} job ${job.jobId} failed${job.errorDetails ? ` at "${clean(job.errorDetails.step)}"` : ''}`, EXIT.jobFailed, details);
    this.name = 'JobFailedError';
  }
}

const isFinished = (job: ProvisioningJob) => job.status === 'SUCCEEDED' || job.status === 'FAILED';

/** How long to wait between polls: often at first (a local job takes seconds), less often later (a deploy in AWS takes many minutes). */
export function pollInterval(followingMs: number): number {
  if (followingMs < 30_000) return 1000;
  if (followingMs < 120_000) return 2000;
  return 5000;
}

/** Consecutive failed polls (unreachable, 5xx, 429) tolerated before giving up. */
const MAX_POLL_FAILURES = 5;

/** Follows the job to its end with the progress display; resolves with the finished job (SUCCEEDED or FAILED). */
export async function followJob(ctx: CommandContext, jobId: string): Promise<ProvisioningJob> {
  const { STATE_NAMES } = await import('../contract/workflow');
  let job = (await ctx.call('getJob', { params: { jobId } })).document;
  const tracker = new StepTracker(job.operationType, STATE_NAMES);
  const display = new ProgressDisplay(ctx.io.stderr, ctx.io.stderr.isTTY === true, () => ctx.now(), Date.parse(job.startedAt));
  const cursor = new EventCursor(ctx, job.clusterId, jobId);
  const following = ctx.now();
  let failures = 0;
  const retrying = async <T>(read: () => Promise<T>): Promise<T> => {
    for (;;) {
      try {
        const value = await read();
        failures = 0;
        return value;
      } catch (error) {
        const transient = error instanceof ConnectionError || (error instanceof ApiError && (error.status >= 500 || error.status === 429));
        if (!transient || ++failures >= MAX_POLL_FAILURES) throw error;
        display.line(`  (${error.message}; retrying)`);
        await ctx.sleep(pollInterval(ctx.now() - following));
      }
    }
  };

  display.line(`Following ${job.operationType} job ${jobId} on cluster ${job.clusterId} (Ctrl-C stops following; the job goes on)`);
  const unregister = ctx.io.onInterrupt?.(() => {
    display.end();
    ctx.note(`Stopped following; job ${jobId} goes on. Follow it again with: sici jobs get ${jobId} --wait`);
  });
  try {
    for (;;) {
      // Read the job before its events: once it is finished, the events read after it include its last.
      const finished = isFinished(job);
      for (const event of await retrying(() => cursor.next())) display.event(event, tracker.apply(event));
      if (finished) break;
      display.status(tracker.current());
      await ctx.sleep(pollInterval(ctx.now() - following));
      job = (await retrying(() => ctx.call('getJob', { params: { jobId } }))).document;
    }
  } finally {
    display.end();
    unregister?.();
  }
  const took = job.completedAt ? ` in ${formatDuration(Date.parse(job.completedAt) - Date.parse(job.startedAt))}` : '';
  display.line(
    job.status === 'SUCCEEDED'
      ? `✓ ${job.operationType} job ${jobId} SUCCEEDED${took}`
      : `✗ ${job.operationType} job ${jobId} FAILED${job.errorDetails ? ` at "${clean(job.errorDetails.step)}"` : ''}${took}`,
  );
  return job;
}

/**
 * Follows the job; when it succeeds, `show` prints what the command shows at the end. When it fails,
 * the job is printed (with --output json) and the command ends with exit 3.
 */
export async function waitForJob(ctx: CommandContext, jobId: string, show: (job: ProvisioningJob) => Promise<void>): Promise<void> {
  const job = await followJob(ctx, jobId);
  if (job.status === 'FAILED') {
    if (ctx.json) ctx.print(job, () => '');
    throw new JobFailedError(job);
  }
  await show(job);
}
