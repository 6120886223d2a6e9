// A worker process for test/jobs-multiprocess.test.ts: claims `test.multi` jobs from the server
// database in DATABASE_URL and prints one line per handler start, so the test knows whom to kill.
import { z } from 'zod';
import { defineMessageType } from '../../src/core/index.ts';
import { createPostgresDb } from '../../src/db/index.ts';
import { createJobs, defineJob } from '../../src/jobs/index.ts';

export const multiJob = defineJob(
  defineMessageType({ type: 'test.multi', payload: z.strictObject({ ms: z.number().int().min(0) }) }),
  { leaseSeconds: 2, maxAttempts: 3, retryDelaySeconds: 1 },
);

const url = process.env.DATABASE_URL;
const workerId = process.env.WORKER_ID;
if (url && workerId && process.argv[1] === new URL(import.meta.url).pathname) {
  const db = await createPostgresDb({ connectionString: url });
  const jobs = await createJobs({ db, leaseCheckIntervalSeconds: 1 });
  await jobs.register(multiJob);
  jobs.work(
    multiJob,
    async (envelope, context) => {
      process.stdout.write(`start ${context.jobId} ${context.attempt}\n`);
      await new Promise((r) => setTimeout(r, envelope.payload.ms));
    },
    { workerId, pollIntervalMs: 100, sweepIntervalMs: 1000 },
  );
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => {
    void jobs
      .stop()
      .then(() => db.close())
      .then(() => process.exit(0));
  });
}
