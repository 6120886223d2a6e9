/**
 * Vectors stored dimension-major in WebAssembly memory, scored against a query with 128-bit SIMD
 * (four float32 lanes), for the in-process vector scan (vector-scan.ts).
 */

// The scoring kernel, hand-assembled (no toolchain): `add(col, acc, bytes, q)` does
// acc[i] = acc[i] + q * col[i] over `bytes` bytes of float32s, four at a time (f32x4.mul, f32x4.add):
// each product and each sum rounded to float32, as Postgres computes `sum(a * b)` over `real[]`.
//   (func (param $col i32) (param $acc i32) (param $bytes i32) (param $q f32) (local $i i32) (local $qv v128)
//     qv = f32x4.splat(q)
//     block loop
//       br_if 1 (i >= bytes)
//       v128.store(acc + i, f32x4.add(v128.load(acc + i), f32x4.mul(qv, v128.load(col + i))))
//       i += 16; br 0
//     end end)
const KERNEL_BODY = [
  0x02,
  0x01,
  0x7f,
  0x01,
  0x7b, // locals: one i32 ($i), one v128 ($qv)
  0x20,
  0x03,
  0xfd,
  0x13,
  0x21,
  0x05, // qv = f32x4.splat(q)
  0x02,
  0x40,
  0x03,
  0x40, // block, loop
  0x20,
  0x04,
  0x20,
  0x02,
  0x4f,
  0x0d,
  0x01, // br_if 1 (i >= bytes)
  0x20,
  0x01,
  0x20,
  0x04,
  0x6a, // store address: acc + i
  0x20,
  0x01,
  0x20,
  0x04,
  0x6a,
  0xfd,
  0x00,
  0x04,
  0x00, // v128.load acc + i
  0x20,
  0x05, // qv
  0x20,
  0x00,
  0x20,
  0x04,
  0x6a,
  0xfd,
  0x00,
  0x04,
  0x00, // v128.load col + i
  0xfd,
  0xe6,
  0x01, // f32x4.mul
  0xfd,
  0xe4,
  0x01, // f32x4.add
  0xfd,
  0x0b,
  0x04,
  0x00, // v128.store
  0x20,
  0x04,
  0x41,
  0x10,
  0x6a,
  0x21,
  0x04, // i += 16
  0x0c,
  0x00,
  0x0b,
  0x0b,
  0x0b, // br 0, end loop, end block, end func
];

function section(id: number, content: readonly number[]): number[] {
  return [id, content.length, ...content];
}

const KERNEL = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
  ...section(1, [0x01, 0x60, 0x04, 0x7f, 0x7f, 0x7f, 0x7d, 0x00]), // type: (i32 i32 i32 f32) -> ()
  // import env.memory, at least one page
  ...section(2, [0x01, 0x03, 0x65, 0x6e, 0x76, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x01]),
  ...section(3, [0x01, 0x00]), // one function of type 0
  ...section(7, [0x01, 0x03, 0x61, 0x64, 0x64, 0x00, 0x00]), // export "add"
  ...section(10, [0x01, KERNEL_BODY.length, ...KERNEL_BODY]),
]);

// Node has WebAssembly; TypeScript's ES2024 lib (no DOM) does not declare it: the part used here.
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Memory {
    constructor(descriptor: { initial: number });
    readonly buffer: ArrayBuffer;
  }
  class Instance {
    constructor(module: Module, imports: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
}

let compiled: WebAssembly.Module | null | undefined;

function kernelModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(KERNEL);
    } catch {
      // A runtime without WebAssembly SIMD: the plain loop below scores alike, slower.
      compiled = null;
    }
  }
  return compiled;
}

const PAGE_BYTES = 65_536;
// Multiply-adds between yields to the event loop (a few ms): the keyword and name retrievers'
// replies are handled, and their next statements sent, while a long scan runs.
const OPS_PER_SLICE = 4_000_000;

/**
 * Up to `capacity` vectors of `dimension` float32s, dimension-major (column d holds every row's
 * component d): the rows past `rows`, and the padding to a multiple of 4 (the SIMD width), are not scored. Scoring and changes are serialized per
 * matrix: they share one score buffer, and a change never lands in the middle of a scan.
 */
export class ColumnMatrix {
  readonly capacity: number;
  readonly dimension: number;
  readonly #stride: number;
  readonly #data: Float32Array;
  readonly #acc: Float32Array;
  readonly #add: ((col: number, acc: number, bytes: number, q: number) => void) | null;
  #rows = 0;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(capacity: number, dimension: number) {
    this.capacity = capacity;
    this.dimension = dimension;
    this.#stride = Math.ceil(capacity / 4) * 4;
    const floats = this.#stride * (dimension + 1);
    const module = kernelModule();
    if (module) {
      const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil((floats * 4) / PAGE_BYTES)) });
      const instance = new WebAssembly.Instance(module, { env: { memory } });
      this.#add = instance.exports.add as (col: number, acc: number, bytes: number, q: number) => void;
      this.#data = new Float32Array(memory.buffer, 0, this.#stride * dimension);
      this.#acc = new Float32Array(memory.buffer, this.#stride * dimension * 4, this.#stride);
    } else {
      this.#add = null;
      this.#data = new Float32Array(this.#stride * dimension);
      this.#acc = new Float32Array(this.#stride);
    }
  }

  /** Rows in use (scored); the others up to `capacity` are free. */
  get rows(): number {
    return this.#rows;
  }

  /** Takes the next free row; null when the matrix is full. */
  addRow(): number | null {
    return this.#rows < this.capacity ? this.#rows++ : null;
  }

  /** Runs `change` between scans, never during one. */
  change<T>(change: () => T | Promise<T>): Promise<T> {
    const run = this.#queue.then(change);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Whether scoring runs the SIMD kernel (else a plain loop that gives the same scores). */
  get simd(): boolean {
    return this.#add !== null;
  }

  /** Bytes held (vectors and the score buffer). */
  get bytes(): number {
    return (this.#data.length + this.#acc.length) * 4;
  }

  set(row: number, d: number, value: number): void {
    this.#data[d * this.#stride + row] = value;
  }

  /**
   * Dot products of every row with `query` in float32 (each product and sum rounded to float32,
   * dimension by dimension in order), so the scores are those of the SQL path (`exact-real[]`). Only
   * the query's non-zero dimensions are walked: a zero adds exactly nothing.
   */
  dot(query: readonly number[]): Promise<Float32Array> {
    return this.change(() => this.#dot(query));
  }

  async #dot(query: readonly number[]): Promise<Float32Array> {
    const acc = this.#acc;
    acc.fill(0);
    const rows = this.#rows;
    // Whole SIMD groups up to the last row in use.
    const bytes = Math.ceil(rows / 4) * 16;
    const columnsPerSlice = Math.max(1, Math.floor(OPS_PER_SLICE / Math.max(1, rows)));
    let sinceYield = 0;
    for (let d = 0; d < this.dimension; d++) {
      const q = Math.fround(query[d] ?? 0);
      if (q === 0) continue;
      const base = d * this.#stride;
      if (this.#add) this.#add(base * 4, acc.byteOffset, bytes, q);
      else {
        const data = this.#data;
        for (let i = 0; i < rows; i++) acc[i] = acc[i]! + Math.fround(q * data[base + i]!);
      }
      if (++sinceYield >= columnsPerSlice) {
        sinceYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    return acc.slice(0, rows);
  }
}
