// npm run model:code: trains the local embedder's code model (src/search/code-model.ts) and writes
// src/search/models/code-nbow-v1.bin. Maintainers run it; installs and searches never do.
//
// 1. Fetches the pinned packages of packages.txt from the npm registry (`npm pack`, into
//    CODE_MODEL_CACHE, default .cache/code-model/tgz; what is there already is not fetched again).
// 2. Takes (first sentence of a doc comment, the declaration under it) pairs from their .ts/.js/.d.ts
//    files, at most 1,500 per package, doc comments blanked out of the code, minified files skipped;
//    drops every pair whose sentence is a doc sentence of a package bench:search measures on.
// 3. Trains one table of word vectors (the words are the local embedder's `wordKeys`) with an
//    in-batch softmax loss in both directions (sentence -> code, code -> sentence), Adagrad,
//    deterministic (fixed seed); 2,000 pairs are held back to report MRR against each other.
// 4. Writes the model file and prints its SHA-256 for CODE_MODEL_SHA256 in code-model.ts.
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { docDescription, documentedIn, firstSentence, listFiles } from '../../bench/search/dataset.ts';
import { encodeCodeModel } from '../../src/search/code-model.ts';
import { wordKeys } from '../../src/search/local-embedder.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..');
const CACHE = process.env.CODE_MODEL_CACHE ?? join(REPO, '.cache', 'code-model', 'tgz');
const OUT = join(REPO, 'src', 'search', 'models', 'code-nbow-v1.bin');
const BENCH_PACKAGES = ['rxjs', '@reduxjs/toolkit', '@tanstack/query-core'];
const DIMENSION = 128;
const EPOCHS = 6;
const BATCH = 256;
const LEARNING_RATE = 0.05;
const SCALE = 20;
const MIN_DF = 3;
const PER_PACKAGE = 1500;
const HELD_BACK = 2000;
const log = (m: string) => process.stderr.write(`[model:code] ${m}\n`);

// --- 1. fetch -------------------------------------------------------------------------------
const tarballName = (spec: string) => {
  const at = spec.lastIndexOf('@');
  return `${spec.slice(0, at).replace(/^@/, '').replace('/', '-')}-${spec.slice(at + 1)}.tgz`;
};
async function fetchPackages(specs: readonly string[]): Promise<string[]> {
  mkdirSync(CACHE, { recursive: true });
  const missing = specs.filter((s) => !existsSync(join(CACHE, tarballName(s))));
  log(`${specs.length} packages pinned, ${missing.length} to fetch into ${CACHE}`);
  const run = promisify(execFile);
  const batches: string[][] = [];
  for (let i = 0; i < missing.length; i += 10) batches.push(missing.slice(i, i + 10));
  const failed: string[] = [];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let b = batches.shift(); b; b = batches.shift()) {
        const batch = b;
        await run('npm', ['pack', '--silent', '--pack-destination', CACHE, ...batch], {
          timeout: 300_000,
        }).catch(() => failed.push(...batch.filter((s) => !existsSync(join(CACHE, tarballName(s))))));
      }
    }),
  );
  if (failed.length > 0)
    log(`${failed.length} could not be fetched, left out: ${failed.slice(0, 10).join(', ')}`);
  return specs.map((s) => join(CACHE, tarballName(s))).filter((p) => existsSync(p));
}

// --- 2. pairs -------------------------------------------------------------------------------
const SOURCE = /\.(?:[mc]?ts|[mc]?js|tsx|jsx)$/;
function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && !e.name.startsWith('.')) sourceFiles(p, out);
    } else if (SOURCE.test(e.name) && !/\.min\.[mc]?js$/.test(e.name)) out.push(p);
  }
  return out;
}

function benchSentences(): Set<string> {
  const out = new Set<string>();
  for (const name of BENCH_PACKAGES) {
    const src = join(REPO, 'bench', 'search', 'node_modules', name, 'src');
    if (!existsSync(src)) throw new Error(`${src} is missing: run npm install --prefix bench/search first`);
    for (const f of listFiles(src, (n) => n.endsWith('.ts')))
      for (const d of documentedIn(f, readFileSync(f, 'utf8'))) out.add(d.sentence.trim().toLowerCase());
  }
  return out;
}

interface Pair {
  readonly q: string;
  readonly c: string;
}

function pairsOf(
  tarball: string,
  excluded: ReadonlySet<string>,
  seen: Set<string>,
): { pairs: Pair[]; dropped: number } {
  const dir = mkdtempSync(join(tmpdir(), 'cogo-code-model-'));
  const pairs: Pair[] = [];
  let dropped = 0;
  try {
    execFileSync('tar', ['xzf', tarball, '-C', dir], { stdio: 'ignore' });
    // Sources before declarations.
    const files = sourceFiles(dir).sort(
      (a, b) => Number(a.endsWith('.d.ts')) - Number(b.endsWith('.d.ts')) || (a < b ? -1 : 1),
    );
    for (const file of files) {
      if (pairs.length >= PER_PACKAGE) break;
      if (statSync(file).size > 1_500_000) continue;
      const text = readFileSync(file, 'utf8');
      if (text.length / Math.max(1, text.split('\n').length) > 200) continue; // minified
      const sf = ts.createSourceFile(
        file,
        text,
        ts.ScriptTarget.Latest,
        true,
        file.endsWith('x') ? ts.ScriptKind.TSX : undefined,
      );
      const visit = (node: ts.Node, container: string) => {
        const name = declaredName(node);
        const docs = (node as { jsDoc?: ts.JSDoc[] }).jsDoc;
        if (docs?.length && pairs.length < PER_PACKAGE && (name || ts.isExpressionStatement(node))) {
          const doc = docs[docs.length - 1]!;
          const sentence = firstSentence(docDescription(text.slice(doc.getStart(sf), doc.end)));
          const start = node.getStart(sf);
          const code = text
            .slice(start, Math.min(node.end, start + 2000))
            .replace(/\/\*\*[\s\S]*?\*\//g, ' ');
          const key = `${sentence.toLowerCase()}\u0000${code.slice(0, 300)}`;
          if (sentence.split(/\s+/).filter(Boolean).length >= 3 && code.length >= 20 && !seen.has(key)) {
            seen.add(key);
            if (excluded.has(sentence.trim().toLowerCase())) dropped++;
            else
              pairs.push({ q: sentence, c: `${container && name ? `${container}.${name}` : name}\n${code}` });
          }
        }
        const inner =
          ts.isClassDeclaration(node) || ts.isInterfaceDeclaration(node) || ts.isClassExpression(node)
            ? name || container
            : container;
        ts.forEachChild(node, (child) => visit(child, inner));
      };
      visit(sf, '');
    }
  } catch (error) {
    log(`${tarball}: ${(error as Error).message.slice(0, 200)} (skipped)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { pairs, dropped };
}

function declaredName(node: ts.Node): string {
  if (ts.isVariableStatement(node) && node.declarationList.declarations.length === 1) {
    const d = node.declarationList.declarations[0]!;
    return ts.isIdentifier(d.name) ? d.name.text : '';
  }
  const name = (node as { name?: ts.Node }).name;
  return name && (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isPrivateIdentifier(name))
    ? name.text
    : '';
}

// --- 3. training ----------------------------------------------------------------------------
let seed = 12345;
const random = (): number => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed / 2 ** 32;
};
const gaussian = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
function shuffle<T>(xs: T[]): void {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
}

interface Bag {
  readonly ids: Int32Array;
  readonly w: Float32Array;
}

function train(pairs: readonly Pair[]) {
  const D = DIMENSION;
  const tokens = pairs.map((p) => ({ q: wordKeys(p.q), c: wordKeys(p.c) }));
  const df = new Map<string, number>();
  for (const p of tokens) for (const t of new Set([...p.q, ...p.c])) df.set(t, (df.get(t) ?? 0) + 1);
  const vocab = [...df]
    .filter(([, n]) => n >= MIN_DF)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([t]) => t);
  const id = new Map(vocab.map((t, i) => [t, i]));
  const documents = tokens.length * 2;
  const idf = Float32Array.from(vocab, (t) => Math.log(1 + documents / (1 + df.get(t)!)));
  const bag = (keys: readonly string[]): Bag => {
    const tf = new Map<number, number>();
    for (const k of keys) {
      const i = id.get(k);
      if (i !== undefined) tf.set(i, (tf.get(i) ?? 0) + 1);
    }
    const ids = Int32Array.from(tf.keys());
    return { ids, w: Float32Array.from(ids, (i) => (1 + Math.log(tf.get(i)!)) * idf[i]!) };
  };
  const data = tokens
    .map((p) => ({ q: bag(p.q), c: bag(p.c) }))
    .filter((p) => p.q.ids.length > 0 && p.c.ids.length > 0);
  shuffle(data);
  const heldBack = data.slice(0, HELD_BACK);
  const rest = data.slice(HELD_BACK);
  const E = Float32Array.from({ length: vocab.length * D }, () => gaussian() * 0.1);
  const G = new Float32Array(vocab.length * D);
  const encode = (b: Bag, out: Float32Array, o: number): number => {
    out.fill(0, o, o + D);
    for (let k = 0; k < b.ids.length; k++) {
      const r = b.ids[k]! * D;
      const w = b.w[k]!;
      for (let d = 0; d < D; d++) out[o + d]! += w * E[r + d]!;
    }
    let s = 0;
    for (let d = 0; d < D; d++) s += out[o + d]! ** 2;
    const norm = Math.sqrt(s) || 1;
    for (let d = 0; d < D; d++) out[o + d]! /= norm;
    return norm;
  };
  const heldBackMrr = (): number => {
    const n = heldBack.length;
    const Q = new Float32Array(n * D);
    const C = new Float32Array(n * D);
    heldBack.forEach((p, i) => {
      encode(p.q, Q, i * D);
      encode(p.c, C, i * D);
    });
    let total = 0;
    for (let i = 0; i < n; i++) {
      const dot = (j: number) => {
        let s = 0;
        for (let d = 0; d < D; d++) s += Q[i * D + d]! * C[j * D + d]!;
        return s;
      };
      const own = dot(i);
      let rank = 1;
      for (let j = 0; j < n; j++) if (j !== i && dot(j) > own) rank++;
      total += 1 / rank;
    }
    return total / n;
  };
  const before = heldBackMrr();
  log(
    `${data.length} pairs, ${vocab.length} words; held-back MRR (${HELD_BACK} candidates) before training ${before.toFixed(4)}`,
  );
  const B = BATCH;
  const Q = new Float32Array(B * D);
  const C = new Float32Array(B * D);
  const qn = new Float32Array(B);
  const cn = new Float32Array(B);
  const S = new Float32Array(B * B);
  const dS = new Float32Array(B * B);
  const dQ = new Float32Array(B * D);
  const dC = new Float32Array(B * D);
  const history: Array<{ epoch: number; loss: number; heldBackMrr: number }> = [];
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    shuffle(rest);
    let lossSum = 0;
    let batches = 0;
    for (let start = 0; start + B <= rest.length; start += B) {
      const batch = rest.slice(start, start + B);
      batch.forEach((p, i) => {
        qn[i] = encode(p.q, Q, i * D);
        cn[i] = encode(p.c, C, i * D);
      });
      for (let i = 0; i < B; i++)
        for (let j = 0; j < B; j++) {
          let s = 0;
          for (let d = 0; d < D; d++) s += Q[i * D + d]! * C[j * D + d]!;
          S[i * B + j] = SCALE * s;
        }
      dS.fill(0);
      let loss = 0;
      // Softmax cross-entropy over each row (sentence -> its code) and each column (code -> its sentence).
      for (const byRow of [true, false]) {
        for (let a = 0; a < B; a++) {
          const at = (b: number) => (byRow ? a * B + b : b * B + a);
          let m = Number.NEGATIVE_INFINITY;
          for (let b = 0; b < B; b++) m = Math.max(m, S[at(b)]!);
          let z = 0;
          for (let b = 0; b < B; b++) z += Math.exp(S[at(b)]! - m);
          loss -= S[at(a)]! - m - Math.log(z);
          for (let b = 0; b < B; b++) dS[at(b)]! += (Math.exp(S[at(b)]! - m) / z - (a === b ? 1 : 0)) / B;
        }
      }
      lossSum += loss / (2 * B);
      batches++;
      dQ.fill(0);
      dC.fill(0);
      for (let i = 0; i < B; i++)
        for (let j = 0; j < B; j++) {
          const g = SCALE * dS[i * B + j]!;
          for (let d = 0; d < D; d++) {
            dQ[i * D + d]! += g * C[j * D + d]!;
            dC[j * D + d]! += g * Q[i * D + d]!;
          }
        }
      const grads = new Map<number, Float32Array>();
      const back = (b: Bag, X: Float32Array, dX: Float32Array, norm: number, i: number) => {
        let dot = 0;
        for (let d = 0; d < D; d++) dot += X[i * D + d]! * dX[i * D + d]!;
        for (let k = 0; k < b.ids.length; k++) {
          const t = b.ids[k]!;
          let acc = grads.get(t);
          if (!acc) {
            acc = new Float32Array(D);
            grads.set(t, acc);
          }
          const w = b.w[k]! / norm;
          for (let d = 0; d < D; d++) acc[d]! += w * (dX[i * D + d]! - X[i * D + d]! * dot);
        }
      };
      batch.forEach((p, i) => {
        back(p.q, Q, dQ, qn[i]!, i);
        back(p.c, C, dC, cn[i]!, i);
      });
      for (const [t, g] of grads) {
        const r = t * D;
        for (let d = 0; d < D; d++) {
          G[r + d]! += g[d]! ** 2;
          E[r + d]! -= (LEARNING_RATE * g[d]!) / (Math.sqrt(G[r + d]!) + 1e-8);
        }
      }
    }
    const mrr = heldBackMrr();
    history.push({ epoch, loss: lossSum / batches, heldBackMrr: mrr });
    log(
      `epoch ${epoch + 1}/${EPOCHS}: loss ${(lossSum / batches).toFixed(4)}, held-back MRR ${mrr.toFixed(4)}`,
    );
  }
  return { vocab, idf, vectors: E, pairs: data.length, heldBackMrrBefore: before, history };
}

// --- main -----------------------------------------------------------------------------------
const started = performance.now();
const specs = readFileSync(join(HERE, 'packages.txt'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const tarballs = await fetchPackages(specs);
const excluded = benchSentences();
const seen = new Set<string>();
const pairs: Pair[] = [];
let dropped = 0;
let contributing = 0;
for (const t of tarballs) {
  const r = pairsOf(t, excluded, seen);
  pairs.push(...r.pairs);
  dropped += r.dropped;
  if (r.pairs.length > 0) contributing++;
}
log(
  `${pairs.length} pairs from ${contributing} of ${tarballs.length} packages; ${dropped} dropped as bench:search doc sentences`,
);
const model = train(pairs);
const bytes = encodeCodeModel({
  dimension: DIMENSION,
  vocab: model.vocab,
  idf: model.idf,
  vectors: model.vectors,
});
writeFileSync(OUT, bytes);
const summary = {
  packages: { pinned: specs.length, fetched: tarballs.length, contributing },
  pairs: pairs.length,
  droppedAsBenchSentences: dropped,
  vocabulary: model.vocab.length,
  dimension: DIMENSION,
  heldBack: HELD_BACK,
  heldBackMrrBefore: Math.round(model.heldBackMrrBefore * 1e4) / 1e4,
  history: model.history.map((h) => ({
    ...h,
    loss: Math.round(h.loss * 1e4) / 1e4,
    heldBackMrr: Math.round(h.heldBackMrr * 1e4) / 1e4,
  })),
  bytes: bytes.length,
  sha256: createHash('sha256').update(bytes).digest('hex'),
  seconds: Math.round((performance.now() - started) / 1000),
};
writeFileSync(join(HERE, 'training.json'), `${JSON.stringify(summary, null, 2)}\n`);
log(
  `wrote ${OUT} (${bytes.length} bytes, sha256 ${summary.sha256}); summary in scripts/code-model/training.json`,
);
