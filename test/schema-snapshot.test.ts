import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpSchema } from '../src/db/index.ts';
import { createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';

const SNAPSHOT = new URL('../supabase/schema.snapshot.txt', import.meta.url);

describe('the committed schema snapshot', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createMigratedDatabase('pglite');
  });
  afterAll(() => t?.dispose());

  it('matches the schema the migrations build (regenerate with npm run db:schema)', async () => {
    expect(await dumpSchema(t.db)).toBe(readFileSync(SNAPSHOT, 'utf8'));
  });
});
