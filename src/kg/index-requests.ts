/** SQL for `index_requests` (supabase/migrations/00009_sagas.sql), one function per statement. */

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { sha256Hex } from '../core/index.ts';
import type { Db } from '../db/index.ts';
import { EXTRACTOR_VERSION } from './indexer.ts';
import { scanRepository } from './scan.ts';
import { loadScope, scopeMatcher } from './scope.ts';

export const INDEX_REQUEST_STATES = ['pending', 'running', 'succeeded', 'failed', 'unchanged'] as const;
export type IndexRequestState = (typeof INDEX_REQUEST_STATES)[number];

/** One index request as stored. */
export interface IndexRequest {
  readonly id: string;
  readonly root: string;
  readonly full: boolean;
  readonly state: IndexRequestState;
  readonly source: string;
  readonly sagaId: string | null;
  readonly fingerprint: string | null;
  readonly report: Readonly<Record<string, unknown>>;
  readonly error: string | null;
  readonly createdAt: Date;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
}

const COLUMNS = `id, root, full_rebuild as "full", state, source, saga_id as "sagaId", fingerprint, report, error,
  created_at as "createdAt", started_at as "startedAt", finished_at as "finishedAt"`;

/** What `requestIndex` takes. */
export interface IndexRequestOptions {
  readonly root: string;
  readonly full?: boolean | undefined;
  /** The caller's id for the request (a retried HTTP call repeats it); default a new uuid. */
  readonly requestId?: string | undefined;
  /** Who asked: `cli`, `gateway`. */
  readonly source: string;
}

/**
 * Records an index request for the orchestrator (`pending`). A second request with the same id
 * changes nothing and returns the first; `created` says which happened.
 *
 * @example
 * const { request } = await requestIndex(db, { root: '/srv/repo', source: 'gateway', requestId });
 */
export async function requestIndex(
  db: Db,
  options: IndexRequestOptions,
): Promise<{ request: IndexRequest; created: boolean }> {
  const id = options.requestId ?? randomUUID();
  const { rows } = await db.query<IndexRequest>(
    `insert into index_requests (id, root, full_rebuild, state, source) values ($1, $2, $3, 'pending', $4)
     on conflict (id) do nothing returning ${COLUMNS}`,
    [id, resolve(options.root), options.full === true, options.source],
  );
  if (rows[0]) return { request: rows[0], created: true };
  const existing = await selectIndexRequest(db, id);
  if (!existing) throw new Error(`index request ${id} vanished`);
  return { request: existing, created: false };
}

/** The request with this id, if any. */
export async function selectIndexRequest(db: Db, id: string): Promise<IndexRequest | undefined> {
  const { rows } = await db.query<IndexRequest>(`select ${COLUMNS} from index_requests where id = $1`, [id]);
  return rows[0];
}

/** The running request (at most one per database), if any. */
export async function selectRunningRequest(db: Db): Promise<IndexRequest | undefined> {
  const { rows } = await db.query<IndexRequest>(
    `select ${COLUMNS} from index_requests where state = 'running' order by started_at limit 1`,
  );
  return rows[0];
}

/** The oldest pending request, locked for this transaction. */
export async function selectNextPendingRequest(db: Db): Promise<IndexRequest | undefined> {
  const { rows } = await db.query<IndexRequest>(
    `select ${COLUMNS} from index_requests where state = 'pending' order by created_at, id limit 1 for update`,
  );
  return rows[0];
}

/** The fingerprint of the last request that ran to the end. */
export async function selectLastFingerprint(db: Db): Promise<string | undefined> {
  const { rows } = await db.query<{ fingerprint: string }>(
    `select fingerprint from index_requests where state = 'succeeded' and fingerprint is not null
      order by finished_at desc limit 1`,
  );
  return rows[0]?.fingerprint;
}

/** Moves a pending request to `running` (or straight to `unchanged`) with its fingerprint. */
export async function startIndexRequest(
  db: Db,
  id: string,
  state: 'running' | 'unchanged',
  fingerprint: string,
): Promise<void> {
  await db.query(
    `update index_requests set state = $2, fingerprint = $3, started_at = now(),
            finished_at = case when $2 = 'unchanged' then now() end
      where id = $1 and state = 'pending'`,
    [id, state, fingerprint],
  );
}

/** How many requests are in each state. */
export async function countIndexRequests(db: Db): Promise<Record<string, number>> {
  const { rows } = await db.query<{ state: string; n: number }>(
    'select state, count(*)::int as n from index_requests group by state',
  );
  return Object.fromEntries(rows.map((r) => [r.state, r.n]));
}

/** Records the saga that runs a request. */
export async function setRequestSaga(db: Db, id: string, sagaId: string): Promise<void> {
  await db.query('update index_requests set saga_id = $2 where id = $1', [id, sagaId]);
}

/** Finishes a running request; false when it was not running (already finished by another run). */
export async function finishIndexRequest(
  db: Db,
  id: string,
  state: 'succeeded' | 'failed',
  fields: { report?: Record<string, unknown>; error?: string | null },
): Promise<boolean> {
  const { rows } = await db.query(
    `update index_requests set state = $2, report = report || $3::jsonb, error = $4, finished_at = now()
      where id = $1 and state = 'running' returning id`,
    [id, state, JSON.stringify(fields.report ?? {}), fields.error ?? null],
  );
  return rows.length === 1;
}

/**
 * What a run would index, as one hash: every scanned file's path and content hash, the tsconfigs'
 * contents, the scope and the extractor version. Equal fingerprints mean an incremental run would
 * change nothing.
 */
export function contentFingerprint(root: string, maxFileBytes: number): string {
  const abs = resolve(root);
  const scope = loadScope(abs);
  const scan = scanRepository(abs, scopeMatcher(scope), { maxFileBytes });
  return sha256Hex(
    JSON.stringify({
      extractor: EXTRACTOR_VERSION,
      scope,
      files: scan.files.map((f) => [f.path, f.contentHash]),
      skipped: scan.skipped.map((s) => s.path),
      tsconfigs: scan.tsconfigs.map((p) => [p, sha256Hex(readFileSync(join(abs, p)))]),
    }),
  );
}
