import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CogoError } from '../src/core/index.ts';
import { exportGraph } from '../src/kg/index.ts';
import { createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';

describe('export', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createMigratedDatabase('pglite');
  });
  afterAll(() => t?.dispose());

  it('writes empty files for an empty graph', async () => {
    const result = await exportGraph(t.db, mkdtempSync(join(tmpdir(), 'cogo-export-')));
    expect(result).toMatchObject({ objects: 0, relations: 0 });
  });

  it('refuses a stored record that breaks the CBO v3 contract, naming it and the field', async () => {
    await t.db.query(
      `insert into cbo_objects (id, kind, name, qualified_name, file_path, language, start_line, end_line, metadata)
       values ('not-a-hash', 'function', 'f', 'f', 'a.ts', 'ts', 1, 1, '{"language":"ts","exported":true,"tags":[]}')`,
    );
    const error = (await exportGraph(t.db, mkdtempSync(join(tmpdir(), 'cogo-export-'))).catch(
      (e: unknown) => e,
    )) as CogoError;
    expect(error.code).toBe('KG_EXPORT_INVALID');
    expect(error.message).toMatch(/^object not-a-hash does not match CBO v3: id: /);
  });
});
