import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFixture } from './helpers/repos.ts';

// `npm run test:e2e:indexing`: index a fixture repository with the real `cogo` command, then search it
// from the command line and over HTTP through `cogo gateway`.
const run = promisify(execFile);
const BIN = new URL('../bin/cogo.js', import.meta.url).pathname;
const env = { ...process.env, LOG_LEVEL: 'silent', DATABASE_URL: '' };

describe('indexing and searching a repository end to end', () => {
  let repo: string;
  let gateway: ChildProcess | undefined;

  beforeAll(() => {
    repo = copyFixture('ts-basic');
    writeFileSync(
      join(repo, 'README.md'),
      '# Shapes\n\n## Scaling circles\n\nUse `Circle.scale` to grow a circle.\n',
    );
  });
  afterAll(() => {
    gateway?.kill('SIGTERM');
  });

  it('indexes the graph and the search index, then again with nothing to do', async () => {
    const first = await run(process.execPath, [BIN, 'index', repo, '--json'], { env });
    const report = JSON.parse(first.stdout) as {
      graph: { files: { extracted: number } };
      search: { chunks: { total: number }; embeddings: { current: number; error?: string } };
    };
    expect(report.graph.files.extracted).toBe(4);
    expect(report.search.chunks.total).toBeGreaterThan(30);
    expect(report.search.embeddings.current).toBe(report.search.chunks.total);
    expect(report.search.embeddings.error).toBeUndefined();
    const again = JSON.parse(
      (await run(process.execPath, [BIN, 'index', repo, '--json'], { env })).stdout,
    ) as typeof report & {
      search: { chunks: { written: number }; embeddings: { embedded: number } };
    };
    expect(again.graph.files.extracted).toBe(0);
    expect(again.search.chunks.written).toBe(0);
    expect(again.search.embeddings.embedded).toBe(0);
  });

  it('searches from the command line with filters', async () => {
    const { stdout } = await run(process.execPath, [BIN, '--repo', repo, 'search', 'sumAreas', '--json'], {
      env,
    });
    const result = JSON.parse(stdout) as {
      hits: Array<{ symbol: string; path: string; tags: string[] }>;
      vectorPath: string;
    };
    expect(result.hits[0]).toMatchObject({ symbol: 'sumAreas', path: 'src/util.ts' });
    expect(result.vectorPath).toBe('pgvector-hnsw');
    const docs = await run(
      process.execPath,
      [BIN, '--repo', repo, 'search', 'grow a circle', '--lang', 'md'],
      { env },
    );
    expect(docs.stdout).toMatch(/1\. doc Shapes > Scaling circles {2}README\.md:3-5/);
  });

  it('serves GET /api/search/code with tags and paths', async () => {
    gateway = spawn(process.execPath, [BIN, '--repo', repo, 'gateway', '--port', '0'], { env });
    const url = await new Promise<string>((resolve, reject) => {
      gateway!.stdout!.on('data', (chunk: Buffer) => {
        const match = /listening on (http:\/\/\S+)/.exec(chunk.toString());
        if (match) resolve(match[1]!);
      });
      gateway!.on('exit', (code) => reject(new Error(`gateway exited with ${code}`)));
    });
    const response = await fetch(`${url}/api/search/code?q=Circle&kind=class`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      ok: boolean;
      result: { hits: Array<{ symbol: string; path: string; tags: string[] }> };
    };
    expect(body.ok).toBe(true);
    expect(body.result.hits[0]).toMatchObject({
      symbol: 'Circle',
      path: 'src/shapes.ts',
      tags: expect.arrayContaining(['kind:class', 'exported']),
    });
    const exit = new Promise((resolve) => gateway!.once('exit', resolve));
    gateway.kill('SIGTERM');
    expect(await exit).toBe(0);
    gateway = undefined;
  });
});
