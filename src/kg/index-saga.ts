/**
 * The index saga (`index.extract` -> `index.embed` -> `index.finalize`) and the orchestrator that
 * turns index requests into runs of it. See src/kg/README.md, "Index runs as jobs".
 */
import { z } from 'zod';
import type { Logger } from '../core/index.ts';
import type { Db } from '../db/index.ts';
import { defineSaga, type SagaDefinition, type SagaHandlers, type Sagas } from '../jobs/index.ts';
import { type ChunkLineCounter, computeCoverage } from './coverage.ts';
import * as requests from './index-requests.ts';
import { indexRepository } from './indexer.ts';
import { recordIndexRequestCounts } from './metrics.ts';

export const indexSagaInput = z.strictObject({
  root: z.string().min(1),
  full: z.boolean(),
  requestId: z.string().min(1).max(200),
});
export type IndexSagaInput = z.infer<typeof indexSagaInput>;

/**
 * Extract (the graph, `indexRepository`), embed (chunks and embeddings, `indexSearch`), finalize
 * (coverage, the request recorded as succeeded). Extract's compensation marks the request failed
 * when a later step goes dead; the graph needs no undoing: it is already consistent (stable ids,
 * one transaction per write) and the next request's incremental run starts from it.
 */
export const indexSaga = defineSaga({
  name: 'index',
  target: 'worker.index',
  input: indexSagaInput,
  steps: [
    { name: 'extract', policy: { maxAttempts: 3, leaseSeconds: 900 }, compensation: { maxAttempts: 5 } },
    { name: 'embed', policy: { maxAttempts: 3, leaseSeconds: 900 } },
    { name: 'finalize', policy: { maxAttempts: 5, leaseSeconds: 120 } },
  ],
});

/** What the index worker needs; `embed` is the search indexer (search builds on kg, not the reverse). */
export interface IndexSagaHandlersOptions {
  readonly db: Db;
  readonly maxFileBytes: number;
  readonly embed: (db: Db, root: string) => Promise<unknown>;
  /** Counts the source lines the search chunks hold, for the coverage report (search's `computeChunkCoverage`). */
  readonly chunkLines?: ChunkLineCounter | undefined;
  readonly logger?: Logger | undefined;
}

/** The handlers of every step and compensation of `indexSaga`. Each may run twice and changes nothing the second time. */
export function indexSagaHandlers(options: IndexSagaHandlersOptions): SagaHandlers<IndexSagaInput> {
  const { db } = options;
  return {
    steps: {
      // A second run (a retry, a takeover) finds every hash current and extracts nothing, unless
      // `full`, which rebuilds the same graph: the ids are stable.
      extract: async ({ input }) => {
        const report = await indexRepository(db, {
          root: input.root,
          maxFileBytes: options.maxFileBytes,
          full: input.full,
          ...(options.logger ? { logger: options.logger } : {}),
        });
        return {
          mode: report.mode,
          durationMs: report.durationMs,
          files: { ...report.files, skipped: report.files.skipped.length },
          objects: report.objects,
          relations: report.relations,
        };
      },
      embed: async ({ input }) => options.embed(db, input.root),
      finalize: async ({ input, outputs }) => {
        const coverage = await computeCoverage(db, { root: input.root, chunkLines: options.chunkLines });
        const report = { graph: outputs.extract, search: outputs.embed, coverage };
        await requests.finishIndexRequest(db, input.requestId, 'succeeded', { report });
        return { coverage };
      },
    },
    compensations: {
      extract: async ({ input, sagaId }) => {
        const saga = await requests.selectIndexRequest(db, input.requestId);
        if (saga?.state !== 'running') return;
        await requests.finishIndexRequest(db, input.requestId, 'failed', {
          error: `saga ${sagaId} failed after extract; the graph is kept (consistent, incremental next time)`,
        });
      },
    },
  };
}

export interface IndexOrchestratorOptions {
  readonly db: Db;
  readonly sagas: Sagas;
  /** The index saga as registered (`withSagaPolicy(indexSaga, ...)`); default `indexSaga`. */
  readonly saga?: SagaDefinition<IndexSagaInput> | undefined;
  readonly maxFileBytes: number;
  readonly logger?: Logger | undefined;
  /** A running request with no saga after this long was left by a crashed orchestrator (default 30 s). */
  readonly startGraceSeconds?: number | undefined;
}

/** What one orchestrator tick did. */
export interface OrchestratorTick {
  readonly started?: string | undefined;
  readonly unchanged?: string | undefined;
  readonly finished?: string | undefined;
  readonly repaired: number;
}

// Serializes request picking across orchestrators (any number may run): one lock for the database.
const PICK_LOCK = "select pg_advisory_xact_lock(hashtext('cogo.index.requests'))";

/**
 * The orchestrator's work for index requests, one `tick` at a time (the role calls it on a timer):
 * 1. if a request is running, finish it when its saga ended without succeeding (a dead extract has
 *    nothing to compensate, so nobody else would), or start its saga if a crash left it without one;
 * 2. else take the oldest pending request: if it is not `full` and its content fingerprint equals the
 *    last successful run's, record it `unchanged`; otherwise mark it running and start its saga;
 * 3. repair idle sagas (`Sagas.sweep`). Lease expiry itself is pg-boss's (every worker sweeps).
 */
export class IndexOrchestrator {
  readonly #options: IndexOrchestratorOptions;

  constructor(options: IndexOrchestratorOptions) {
    this.#options = options;
  }

  get #saga(): SagaDefinition<IndexSagaInput> {
    return this.#options.saga ?? indexSaga;
  }

  async tick(): Promise<OrchestratorTick> {
    const { db, sagas } = this.#options;
    const repaired = await sagas.sweep(this.#saga, { idleSeconds: 60 });
    recordIndexRequestCounts(requests.INDEX_REQUEST_STATES, await requests.countIndexRequests(db));
    const running = await requests.selectRunningRequest(db);
    if (running) return { ...(await this.#follow(running)), repaired };
    const picked = await db.transaction(async (tx) => {
      await tx.query(PICK_LOCK);
      if (await requests.selectRunningRequest(tx)) return undefined;
      const next = await requests.selectNextPendingRequest(tx);
      if (!next) return undefined;
      const fingerprint = requests.contentFingerprint(next.root, this.#options.maxFileBytes);
      const same = !next.full && fingerprint === (await requests.selectLastFingerprint(tx));
      await requests.startIndexRequest(tx, next.id, same ? 'unchanged' : 'running', fingerprint);
      return { request: next, same };
    });
    if (!picked) return { repaired };
    if (picked.same) {
      this.#options.logger?.info(
        { request_id: picked.request.id },
        'index request unchanged; nothing to run',
      );
      return { unchanged: picked.request.id, repaired };
    }
    await this.#start(picked.request);
    return { started: picked.request.id, repaired };
  }

  async #start(request: requests.IndexRequest): Promise<void> {
    const { sagaId } = await this.#options.sagas.start(this.#saga, {
      input: { root: request.root, full: request.full, requestId: request.id },
      idempotencyKey: `index:${request.id}`,
      source: 'orchestrator',
      correlationId: request.id,
    });
    await requests.setRequestSaga(this.#options.db, request.id, sagaId);
    this.#options.logger?.info(
      { request_id: request.id, saga_id: sagaId, correlation_id: request.id },
      'index saga started',
    );
  }

  async #follow(request: requests.IndexRequest): Promise<Omit<OrchestratorTick, 'repaired'>> {
    if (!request.sagaId) {
      const age = (Date.now() - (request.startedAt?.getTime() ?? 0)) / 1000;
      if (age >= (this.#options.startGraceSeconds ?? 30)) await this.#start(request);
      return {};
    }
    const saga = await this.#options.sagas.get(request.sagaId);
    if (!saga || saga.state === 'running' || saga.state === 'compensating' || saga.state === 'succeeded')
      return {};
    const error = `index saga ${saga.state} at ${saga.failedStep ?? '?'}: ${saga.error ?? 'no error recorded'}`;
    if (await requests.finishIndexRequest(this.#options.db, request.id, 'failed', { error }))
      this.#options.logger?.warn({ request_id: request.id, saga_id: saga.id }, error);
    return { finished: request.id };
  }
}

/** Formats what a tick did, for logs; empty when it did nothing. */
export function describeTick(tick: OrchestratorTick): string {
  return [
    tick.started && `started ${tick.started}`,
    tick.unchanged && `unchanged ${tick.unchanged}`,
    tick.finished && `finished ${tick.finished}`,
    tick.repaired > 0 && `repaired ${tick.repaired} saga(s)`,
  ]
    .filter(Boolean)
    .join(', ');
}
