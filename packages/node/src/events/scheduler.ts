import type { HostStatus, Logger, ModuleHost } from '@insights/runtime';
import { Cron } from 'croner';
import type { NatsConnection } from '@nats-io/transport-node';
import { LeaseBucket } from './leases.ts';

export const JOB_LEASE_BUCKET = 'insights-jobs';

interface JobRef {
  readonly module: string;
  readonly name: string;
  readonly host: ModuleHost;
  readonly schedule: { cron: string; timezone?: string } | { everySeconds: number };
}

/**
 * Runs scheduled jobs. Each tick has a key (`<module>.<job>.<tick time>`); with NATS, a node runs
 * the tick only if it is the first to create that key in the lease bucket, so a job runs once per
 * tick across all replicas, and a restarted node never repeats a tick another already ran.
 */
export class Scheduler {
  #timers: NodeJS.Timeout[] = [];
  #leases: Promise<LeaseBucket> | undefined;
  #stopped = false;
  readonly runs = new Map<string, number>();

  constructor(
    private readonly hosts: ReadonlyMap<string, ModuleHost>,
    private readonly log: Logger,
    private readonly nodeId: string,
    nats: Promise<NatsConnection> | undefined,
    private readonly jobTimeoutMs: number,
    replicas?: number,
  ) {
    // A tick's key is kept a week, so a restarted node never repeats a tick another already ran.
    this.#leases = nats?.then((nc) => LeaseBucket.open(nc, JOB_LEASE_BUCKET, 7 * 24 * 3600_000, replicas));
    // Without NATS (never reached, or the node stopped first) ticks fail in #fire and are logged there.
    this.#leases?.catch(() => {});
  }

  start(): void {
    for (const job of this.#jobs()) this.#arm(job);
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
  }

  #jobs(): JobRef[] {
    const out: JobRef[] = [];
    for (const [module, host] of this.hosts)
      for (const a of host.manifest.analytics)
        if (a.kind === 'job') out.push({ module, name: a.name, host, schedule: a.meta.schedule as JobRef['schedule'] });
    return out;
  }

  #arm(job: JobRef): void {
    if (this.#stopped) return;
    const now = Date.now();
    let tick: number;
    if ('everySeconds' in job.schedule) {
      const period = Math.max(1, job.schedule.everySeconds) * 1000;
      tick = Math.floor(now / period) * period + period;
    } else {
      const next = new Cron(job.schedule.cron, job.schedule.timezone ? { timezone: job.schedule.timezone } : {}).nextRun();
      if (next === null) return;
      tick = next.getTime();
    }
    const t = setTimeout(() => {
      // #fire logs its own failures; arming the next tick must not become an unhandled rejection either.
      this.#fire(job, tick)
        .finally(() => this.#arm(job))
        .catch((e: unknown) =>
          this.log.error('job could not be scheduled again', { job: `${job.module}.${job.name}`, error: (e as Error).message }),
        );
    }, tick - now);
    t.unref();
    this.#timers.push(t);
  }

  async #fire(job: JobRef, tick: number): Promise<void> {
    const label = `${job.module}.${job.name}`;
    const status: HostStatus = job.host.status();
    if (status.state === 'failed') return;
    try {
      if (this.#leases !== undefined) {
        const leases = await this.#leases;
        // Another replica that claimed this tick first runs it.
        if ((await leases.claim(`${job.module}.${job.name}.${tick}`, this.nodeId)) === undefined) return;
      }
      await job.host.runJob(job.name, { deadline: Date.now() + this.jobTimeoutMs, signal: new AbortController().signal });
      this.runs.set(label, (this.runs.get(label) ?? 0) + 1);
      this.log.debug('job ran', { job: label, tick: new Date(tick).toISOString() });
    } catch (e) {
      this.log.error('job failed', { job: label, tick: new Date(tick).toISOString(), error: (e as Error).message });
    }
  }
}
