import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPgliteDb, DEFAULT_MIGRATIONS_DIR, loadMigrations } from '../src/db/index.ts';
import { cboObjectSchema } from '../src/kg/index.ts';
import { copyFixture } from './helpers/repos.ts';

const run = promisify(execFile);
const MAIN = new URL('../src/cli/main.ts', import.meta.url).pathname;

async function cogo(cwd: string, args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [MAIN, ...args], {
      cwd,
      env: { ...process.env, LOG_LEVEL: 'silent', DATABASE_URL: '', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('the cogo command on the embedded database', () => {
  let repo: string;

  beforeAll(() => {
    repo = copyFixture('ts-basic');
  });

  it('indexes into .cogo/ and prints a summary with skipped files and reasons', async () => {
    const result = await cogo(repo, ['index']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/files: {5}5 in scope, 4 extracted/);
    expect(result.stdout).toMatch(
      /objects: {3}class 4, function 8, interface 2, method 12, module 5, namespace 1, type 3, variable 2/,
    );
    expect(result.stdout).toMatch(/calls: {5}17 resolved, 2 unresolved, 1 ambiguous, 5 external/);
    expect(result.stdout).toMatch(/skipped: {3}src\/broken\.ts: syntax error TS1005 at line 6/);
    expect(existsSync(join(repo, '.cogo', 'db'))).toBe(true);
  });

  it('answers graph queries as JSON and exits 1 for an unknown symbol', async () => {
    const result = await cogo(repo, ['graph', 'callers', 'sumAreas', '--json']);
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout) as { hits: Array<{ object: { qualified_name: string } }> };
    expect(parsed.hits.map((h) => h.object.qualified_name).sort()).toEqual(['Runner.run', 'run']);
    const missing = await cogo(repo, ['graph', 'defs', 'nothingLikeThis']);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/No definition named nothingLikeThis/);
    const bad = await cogo(repo, ['graph', 'friends', 'x']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Allowed choices are defs, callers, callees, implementations, impact/);
  });

  it('gates on coverage thresholds taken from the environment', async () => {
    expect((await cogo(repo, ['coverage', '--gate'])).code).toBe(0);
    const failing = await cogo(repo, ['coverage', '--gate'], { KG_COVERAGE_PARAMS_MIN: '100' });
    expect(failing.code).toBe(1);
    expect(failing.stdout).toMatch(/^params .*BELOW$/m);
  });

  it('exports objects.jsonl and relations.jsonl in CBO v3 field names', async () => {
    const out = join(repo, 'export');
    const result = await cogo(repo, ['export', out]);
    expect(result.code).toBe(0);
    const objects = readFileSync(join(out, 'objects.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(objects).toHaveLength(37);
    for (const o of objects) cboObjectSchema.parse(o);
    expect(Object.keys(objects[0]).sort()).toEqual(
      [
        'doc',
        'end_line',
        'fields_json',
        'file_path',
        'id',
        'kind',
        'metadata',
        'name',
        'params_json',
        'qualified_name',
        'returns_json',
        'signature',
        'start_line',
      ].sort(),
    );
  });

  it('reports migration status and rolls back and forward', async () => {
    expect((await cogo(repo, ['db', 'status'])).stdout).toMatch(/00001_knowledge_graph {2}applied/);
    const names = loadMigrations(DEFAULT_MIGRATIONS_DIR).map((m) => `${m.id}_${m.name}`);
    expect(names.slice(0, 3)).toEqual(['1_knowledge_graph', '2_embeddings', '3_search']);
    expect((await cogo(repo, ['db', 'rollback', '--steps', String(names.length)])).stdout).toContain(
      [...names]
        .reverse()
        .map((n) => `rolled back ${n}`)
        .join('\n'),
    );
    expect((await cogo(repo, ['db', 'status'])).stdout).toMatch(/00001_knowledge_graph {2}pending/);
    expect((await cogo(repo, ['db', 'migrate'])).stdout).toContain(
      names.map((n) => `applied ${n}`).join('\n'),
    );
  });

  it('refuses to work on a database whose applied migrations differ from the files', async () => {
    const db = await createPgliteDb({ dataDir: join(repo, '.cogo', 'db') });
    await db.query("update cogo_migrations set checksum = 'edited' where id = 1");
    await db.close();
    const result = await cogo(repo, ['graph', 'defs', 'run']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /DB_MIGRATION_MODIFIED: applied migrations differ from the files \(1_knowledge_graph: modified\)/,
    );
    expect((await cogo(repo, ['db', 'status'])).stdout).toMatch(/00001_knowledge_graph {2}modified/);
  });

  it('fails at start-up naming a malformed environment variable', async () => {
    const result = await cogo(repo, ['coverage'], { METRICS_PORT: 'eighty' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/CONFIG_INVALID: Invalid configuration:\n {2}- METRICS_PORT="eighty"/);
    rmSync(join(repo, '.cogo'), { recursive: true, force: true });
  });
});
