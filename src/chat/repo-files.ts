import { readFile, realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { sha256Hex } from '../core/index.ts';
import { ChatError } from './errors.ts';

/** A repository file as read now: its lines and the SHA-256 of its bytes (as `kg_files.content_hash`). */
export interface RepoFile {
  readonly path: string;
  readonly lines: readonly string[];
  readonly contentHash: string;
}

/** Reads files of one repository, never outside it, each file once. */
export interface RepoReader {
  readonly root: string;
  /** Throws `ChatError` `PATH_OUTSIDE_REPO` or `FILE_UNREADABLE`. */
  read(path: string): Promise<RepoFile>;
}

// Files larger than this are not read for evidence (the indexer skips them as well).
const MAX_READ_BYTES = 2_000_000;

/**
 * The path guard: `path` must be repository-relative and stay inside the root after every symlink
 * is resolved. Absolute paths, `..` that climbs out, and links that point out are refused.
 */
export async function resolveInsideRepo(root: string, path: string): Promise<string> {
  if (path.length === 0 || path.includes('\0') || isAbsolute(path) || /^[A-Za-z]:/.test(path))
    throw new ChatError('PATH_OUTSIDE_REPO', `path ${JSON.stringify(path)} is not repository-relative`);
  const realRoot = await realpath(root);
  const lexical = resolve(realRoot, path);
  const inside = (p: string) => {
    const r = relative(realRoot, p);
    return r !== '' && !r.startsWith(`..${sep}`) && r !== '..' && !isAbsolute(r);
  };
  if (!inside(lexical))
    throw new ChatError('PATH_OUTSIDE_REPO', `path ${JSON.stringify(path)} leaves the repository`);
  let real: string;
  try {
    real = await realpath(lexical);
  } catch (cause) {
    throw new ChatError('FILE_UNREADABLE', `cannot read ${path}: it does not exist`, { cause });
  }
  if (!inside(real))
    throw new ChatError('PATH_OUTSIDE_REPO', `path ${JSON.stringify(path)} resolves outside the repository`);
  return real;
}

/** A reader for `root`; reads are cached for the reader's life (one answer). */
export function createRepoReader(root: string): RepoReader {
  const cache = new Map<string, Promise<RepoFile>>();
  const load = async (path: string): Promise<RepoFile> => {
    const real = await resolveInsideRepo(root, path);
    let bytes: Buffer;
    try {
      bytes = await readFile(real);
    } catch (cause) {
      throw new ChatError('FILE_UNREADABLE', `cannot read ${path}`, { cause });
    }
    if (bytes.length > MAX_READ_BYTES)
      throw new ChatError('FILE_UNREADABLE', `${path} is larger than ${MAX_READ_BYTES} bytes`);
    // Lines as the indexer counts them (the compiler's line map): text after a final newline is a
    // last, empty line, so a module's span ends there.
    const lines = bytes.toString('utf8').split(/\r?\n/);
    return { path, lines, contentHash: sha256Hex(bytes) };
  };
  return {
    root,
    read(path) {
      let p = cache.get(path);
      if (!p) {
        p = load(path);
        cache.set(path, p);
      }
      return p;
    },
  };
}
