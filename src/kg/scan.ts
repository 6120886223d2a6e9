import {
  closeSync,
  type Dirent,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  statSync,
} from 'node:fs';
import { join, relative, sep } from 'node:path';
import { sha256Hex } from '../core/index.ts';
import type { ScopeMatcher } from './scope.ts';

/** A file in scope, read and hashed. */
export interface ScannedFile {
  readonly path: string;
  readonly absPath: string;
  /** The file's real path when it was reached through a symlink. */
  readonly realPath: string;
  readonly contentHash: string;
  readonly sizeBytes: number;
  readonly text: string;
}

/** Something in scope (or a link that might be) that cannot be indexed, and why. */
export interface SkippedPath {
  readonly path: string;
  readonly reason: string;
}

export interface ScanResult {
  readonly files: ScannedFile[];
  readonly skipped: SkippedPath[];
  /** Repo-relative paths of tsconfig.json files outside pruned directories. */
  readonly tsconfigs: string[];
}

export interface ScanOptions {
  readonly maxFileBytes: number;
}

const BINARY_PROBE_BYTES = 8000;

function toRepoPath(root: string, abs: string): string {
  return relative(root, abs).split(sep).join('/');
}

function isInside(root: string, abs: string): boolean {
  const rel = relative(root, abs);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && rel !== '..');
}

function looksBinary(abs: string, size: number): boolean {
  const fd = openSync(abs, 'r');
  try {
    const buf = Buffer.alloc(Math.min(size, BINARY_PROBE_BYTES));
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).includes(0);
  } finally {
    closeSync(fd);
  }
}

/**
 * Walks a repository: files in scope are read and hashed; broken links, symlink loops, links out of
 * the repository, huge and binary files are reported with a reason instead of stopping the walk.
 */
export function scanRepository(root: string, scope: ScopeMatcher, options: ScanOptions): ScanResult {
  const realRoot = realpathSync(root);
  const files: ScannedFile[] = [];
  const skipped: SkippedPath[] = [];
  const tsconfigs: string[] = [];
  const visitedDirs = new Set<string>([realRoot]);

  const visitFile = (abs: string, path: string, realPath: string): void => {
    if (!scope.file(path)) return;
    try {
      const size = statSync(abs).size;
      if (size > options.maxFileBytes) {
        skipped.push({ path, reason: `file too large: ${size} bytes > limit ${options.maxFileBytes}` });
        return;
      }
      if (looksBinary(abs, size)) {
        skipped.push({ path, reason: 'binary file: contains NUL bytes' });
        return;
      }
      const bytes = readFileSync(abs);
      files.push({
        path,
        absPath: abs,
        realPath,
        contentHash: sha256Hex(bytes),
        sizeBytes: size,
        text: bytes.toString('utf8'),
      });
    } catch (error) {
      skipped.push({
        path,
        reason: `unreadable: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      });
    }
  };

  const walk = (dirAbs: string): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dirAbs, { withFileTypes: true });
    } catch (error) {
      skipped.push({
        path: toRepoPath(root, dirAbs),
        reason: `unreadable directory: ${(error as NodeJS.ErrnoException).code}`,
      });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const abs = join(dirAbs, entry.name);
      const path = toRepoPath(root, abs);
      if (entry.isSymbolicLink()) {
        visitLink(abs, path);
      } else if (entry.isDirectory()) {
        if (scope.prunedDir(path)) continue;
        const real = realpathSync(abs);
        if (visitedDirs.has(real)) continue; // already walked through a symlink; reported there
        visitedDirs.add(real);
        walk(abs);
      } else if (entry.isFile()) {
        if (entry.name === 'tsconfig.json') tsconfigs.push(path);
        visitFile(abs, path, abs);
      }
    }
  };

  const visitLink = (abs: string, path: string): void => {
    let real: string;
    try {
      real = realpathSync(abs);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Only a link that looks like a source file in scope is worth reporting.
      if (!scope.file(path)) return;
      skipped.push({ path, reason: code === 'ELOOP' ? 'symlink loop' : `broken symlink (${code})` });
      return;
    }
    const stat = lstatSync(real);
    if (stat.isDirectory()) {
      if (scope.prunedDir(path)) return;
      if (!isInside(realRoot, real))
        skipped.push({ path, reason: 'symlink to a directory outside the repository' });
      else if (visitedDirs.has(real))
        skipped.push({
          path,
          reason: `symlink loop: directory ${toRepoPath(realRoot, real) || '.'} already visited`,
        });
      else {
        visitedDirs.add(real);
        walk(abs);
      }
    } else {
      if (path === 'tsconfig.json' || path.endsWith('/tsconfig.json')) tsconfigs.push(path);
      if (!scope.file(path)) return;
      if (!isInside(realRoot, real))
        skipped.push({ path, reason: 'symlink to a file outside the repository' });
      else visitFile(abs, path, real);
    }
  };

  walk(root);
  return { files, skipped, tsconfigs };
}

/**
 * The text of an indexed file as it is on disk under `root`, or undefined when it is gone or no
 * longer has the content hash it was indexed with (it changed since: wait for the next run).
 */
export function readIndexedFile(root: string, path: string, contentHash: string): string | undefined {
  try {
    const bytes = readFileSync(join(root, path));
    return sha256Hex(bytes) === contentHash ? bytes.toString('utf8') : undefined;
  } catch {
    return undefined;
  }
}
