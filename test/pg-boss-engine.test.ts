// The queue engine itself, before any cogo code sits on it: pg-boss 12 installs its schema, sends,
// claims, fences and completes on both of our databases (the embedded PGlite instance behind `Db`,
// and a Postgres server), and its schema stays out of ours. The jobs subsystem builds on exactly this.
import { fromPglite, PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionStringOf, dumpSchema, pgliteInstanceOf } from '../src/db/index.ts';
import { ADAPTERS, createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';

// pg-boss 12.38's declarations leave CommandResponse empty; at run time it carries `affected`.
function affected(response: object): number | undefined {
  return (response as { affected?: number }).affected;
}

describe.each(ADAPTERS)('pg-boss 12 on %s', (adapter) => {
  let t: TestDatabase;
  let boss: PgBoss;
  let failed = false;

  beforeAll(async () => {
    t = await createMigratedDatabase(adapter, 'pgboss');
    const pglite = pgliteInstanceOf(t.db);
    const connectionString = connectionStringOf(t.db);
    boss = pglite
      ? new PgBoss({ db: fromPglite(pglite), backend: 'pglite', supervise: false, schedule: false })
      : new PgBoss({ connectionString, max: 2, supervise: false, schedule: false });
    boss.on('error', () => undefined);
    await boss.start();
  });
  afterAll(async () => {
    await boss?.stop({ graceful: false, close: true });
    await t?.dispose(failed);
  });

  it('installs its own schema beside ours and leaves the public schema alone', async () => {
    const { rows } = await t.db.query<{ n: number }>(
      "select count(*)::int as n from information_schema.tables where table_schema = 'pgboss'",
    );
    expect(rows[0]?.n).toBeGreaterThan(0);
    expect(await dumpSchema(t.db)).not.toMatch(/pgboss|^table job$/m);
  });

  it('sends, claims and completes a job, refusing a completion from a lapsed attempt', async () => {
    try {
      await boss.createQueue('smoke', { retryLimit: 1, retryDelay: 0 });
      const id = await boss.send('smoke', { n: 1 }, { id: crypto.randomUUID() });
      expect(id).toBeTypeOf('string');
      const [first] = await boss.fetch<{ n: number }>('smoke');
      expect(first?.data).toEqual({ n: 1 });
      expect(first?.retryCount).toBe(0);
      // The first attempt fails, the job is claimed again (retryCount 1), and the first attempt's late
      // completion no longer matches the job.
      await boss.fail('smoke', { id: first!.id, retryCount: 0 });
      const [second] = await boss.fetch('smoke');
      expect(second?.retryCount).toBe(1);
      const late = await boss.complete('smoke', { id: first!.id, retryCount: 0 });
      expect(affected(late)).toBe(0);
      const done = await boss.complete('smoke', { id: second!.id, retryCount: 1 });
      expect(affected(done)).toBe(1);
      const [job] = await boss.findJobs('smoke', { id: first!.id });
      expect(job?.state).toBe('completed');
    } catch (error) {
      failed = true;
      throw error;
    }
  });
});
