import { Counter } from 'prom-client';
import { registry } from '../metrics/index.ts';

const claims = new Counter({
  name: 'cogo_jobs_claims_total',
  help: 'Jobs claimed by a worker of this process (queued or retrying -> active), by queue.',
  labelNames: ['queue'] as const,
  registers: [registry],
});

const conflicts = new Counter({
  name: 'cogo_jobs_conflicts_total',
  help: 'Settles refused by the attempt fence (a worker whose claim had lapsed, or a cancelled job), by queue.',
  labelNames: ['queue'] as const,
  registers: [registry],
});

const retries = new Counter({
  name: 'cogo_jobs_retries_total',
  help: 'Failed attempts scheduled for another attempt (failed -> retrying), by queue.',
  labelNames: ['queue'] as const,
  registers: [registry],
});

const dlq = new Counter({
  name: 'cogo_jobs_dlq_total',
  help: 'Jobs sent to the dead-letter state (failed -> dead), by queue and reason code.',
  labelNames: ['queue', 'reason'] as const,
  registers: [registry],
});

const transitions = new Counter({
  name: 'cogo_jobs_transitions_total',
  help: 'Every job state transition recorded by this process, by queue, from and to state.',
  labelNames: ['queue', 'from', 'to'] as const,
  registers: [registry],
});

/** Counts one recorded transition (after its transaction committed). */
export function countTransition(queue: string, from: string | null, to: string, reason: string | null): void {
  transitions.inc({ queue, from: from ?? 'none', to });
  if (to === 'active') claims.inc({ queue });
  if (to === 'retrying') retries.inc({ queue });
  if (to === 'dead') dlq.inc({ queue, reason: reason ?? 'unknown' });
}

/** Counts one settle the fence refused. */
export function countConflict(queue: string): void {
  conflicts.inc({ queue });
}
