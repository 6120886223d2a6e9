import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADAPTERS, createTestDatabase, type TestDatabase } from './helpers/databases.ts';

const until = async (check: () => boolean, timeoutMs = 10_000) => {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe.each(ADAPTERS)('LISTEN/NOTIFY through the Db port on %s', (adapter) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(adapter, 'listen');
  });
  afterAll(() => t?.dispose());

  it('delivers payloads in order until unsubscribed, only on the channel listened to', async () => {
    const got: string[] = [];
    const other: string[] = [];
    const stop = await t.db.listen('cogo_test_a', (p) => got.push(p));
    const stopOther = await t.db.listen('cogo_test_b', (p) => other.push(p));
    for (let i = 0; i < 20; i++) await t.db.query('select pg_notify($1, $2)', ['cogo_test_a', `m${i}`]);
    await until(() => got.length === 20);
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
    expect(other).toEqual([]);
    await stop();
    await t.db.query('select pg_notify($1, $2)', ['cogo_test_a', 'late']);
    await t.db.query('select pg_notify($1, $2)', ['cogo_test_b', 'b1']);
    await until(() => other.length === 1);
    expect(got).toHaveLength(20);
    await stopOther();
  });

  it('refuses a channel name that is not a plain identifier', async () => {
    await expect(t.db.listen('bad; drop table x', () => undefined)).rejects.toThrow(/invalid channel name/);
    await expect(t.db.transaction((tx) => tx.listen('cogo_x', () => undefined))).rejects.toThrow(
      /transaction/,
    );
  });
});

describe('the server listener after its connection is cut', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('postgres', 'listen_cut');
  });
  afterAll(() => t?.dispose());

  it('reports the gap, reconnects, listens again and delivers what is sent after', async () => {
    const got: string[] = [];
    let gaps = 0;
    const stop = await t.db.listen(
      'cogo_test_cut',
      (p) => got.push(p),
      () => gaps++,
    );
    await t.db.query('select pg_notify($1, $2)', ['cogo_test_cut', 'before']);
    await until(() => got.length === 1);
    const { rows } = await t.db.query<{ n: number }>(
      `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid() and query ilike 'listen%'`,
    );
    expect(rows[0]!.n).toBe(1);
    await until(() => gaps === 1);
    // Send until the new connection is listening; everything sent after that arrives.
    await until(() => {
      void t.db.query('select pg_notify($1, $2)', ['cogo_test_cut', 'after']);
      return got.includes('after');
    });
    expect(got[0]).toBe('before');
    await stop();
  });
});
