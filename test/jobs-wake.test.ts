import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineMessageType } from '../src/core/index.ts';
import { createPostgresDb, type Db } from '../src/db/index.ts';
import { createJobs, defineJob, type Jobs } from '../src/jobs/index.ts';
import { ADAPTERS, createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';

const wakeJob = defineJob(
  defineMessageType({ type: 'test.wake', payload: z.strictObject({ n: z.number() }) }),
  {
    leaseSeconds: 30,
  },
);

// Workers poll every minute here: a job claimed within a second was claimed on a wake-up.
describe.each(ADAPTERS)('waking idle workers on enqueue (%s)', (adapter) => {
  let t: TestDatabase;
  let producerDb: Db | undefined;
  let worker: Jobs;
  let producer: Jobs;
  beforeAll(async () => {
    t = await createMigratedDatabase(adapter, 'jobs_wake');
    worker = await createJobs({ db: t.db });
    await worker.register(wakeJob);
    // On a server the producer is another connection, as another process would be.
    producerDb = t.url ? await createPostgresDb({ connectionString: t.url }) : undefined;
    producer = producerDb ? await createJobs({ db: producerDb }) : worker;
    if (producer !== worker) await producer.register(wakeJob);
  });
  afterAll(async () => {
    await worker?.stop();
    if (producer !== worker) await producer?.stop();
    await producerDb?.close();
    await t?.dispose();
  });

  it('claims a job within a second of its enqueue although the poll interval is a minute', async () => {
    const ran: number[] = [];
    worker.work(
      wakeJob,
      async (e) => {
        ran.push(Date.now() - e.payload.n);
      },
      { pollIntervalMs: 60_000 },
    );
    // Let the claim loop run its first (empty) claim and go idle.
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 0; i < 3; i++) {
      await producer.enqueue(wakeJob, {
        source: 'test',
        target: 'worker.test',
        payload: { n: Date.now() },
        idempotencyKey: `wake-${adapter}-${i}`,
      });
      const t0 = Date.now();
      while (ran.length <= i && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 10));
    }
    expect(ran).toHaveLength(3);
    for (const ms of ran) expect(ms).toBeLessThan(1000);
  });
});
