import { statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import ts from 'typescript';
import type { ScannedFile, SkippedPath } from '../scan.ts';

/** A set of files compiled together: a tsconfig project, or the inferred project for files no tsconfig owns. */
export interface TsProject {
  /** Repo-relative tsconfig path, or `(inferred)`. */
  readonly name: string;
  readonly options: ts.CompilerOptions;
  /** Every root file of the project (absolute), including ones out of cogo's scope. */
  readonly rootNames: readonly string[];
  /** The in-scope files this project owns. */
  readonly files: ScannedFile[];
}

export const INFERRED_PROJECT = '(inferred)';

/** Options for files without a tsconfig: modern ESM TypeScript, as `tsc --init` would suggest. */
export const INFERRED_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  strict: true,
  jsx: ts.JsxEmit.Preserve,
  allowImportingTsExtensions: true,
  skipLibCheck: true,
  noEmit: true,
};

export interface ProjectDiscovery {
  readonly projects: TsProject[];
  /** Broken or unreadable tsconfig files, with the reason; their files fall back to other projects. */
  readonly configErrors: SkippedPath[];
}

function flatten(d: ts.Diagnostic): string {
  return ts.flattenDiagnosticMessageText(d.messageText, '\n').split('\n')[0] ?? '';
}

/**
 * Finds the tsconfig projects (following project references) and assigns each in-scope file to the
 * nearest project that includes it; the rest form the inferred project.
 */
export function discoverProjects(
  root: string,
  tsconfigs: readonly string[],
  files: readonly ScannedFile[],
): ProjectDiscovery {
  const configErrors: SkippedPath[] = [];
  const parsed = new Map<string, ts.ParsedCommandLine>();
  const queue = tsconfigs.map((p) => join(root, p));
  const seen = new Set<string>();
  while (queue.length > 0) {
    const abs = queue.shift()!;
    if (seen.has(abs)) continue;
    seen.add(abs);
    const rel = relative(root, abs).split(sep).join('/');
    let fatal: string | undefined;
    const host: ts.ParseConfigFileHost = {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => (fatal = flatten(d)),
    };
    let cmd: ts.ParsedCommandLine | undefined;
    try {
      cmd = ts.getParsedCommandLineOfConfigFile(abs, {}, host);
    } catch (error) {
      fatal = (error as Error).message;
    }
    if (!cmd || fatal) {
      configErrors.push({ path: rel, reason: `tsconfig error: ${fatal ?? 'unreadable'}` });
      continue;
    }
    // TS18003 (no inputs) is normal for solution-style configs that only list references.
    const errors = cmd.errors.filter((d) => d.code !== 18003);
    if (errors.length > 0)
      configErrors.push({ path: rel, reason: `tsconfig warning: ${flatten(errors[0]!)}` });
    parsed.set(rel, cmd);
    for (const ref of cmd.projectReferences ?? []) {
      const refPath = ts.resolveProjectReferencePath(ref);
      if (!relative(root, refPath).startsWith('..')) queue.push(refPath);
    }
  }

  const byAbs = new Map<string, ScannedFile>();
  for (const f of files) {
    byAbs.set(ts.sys.resolvePath(f.absPath), f);
    byAbs.set(ts.sys.resolvePath(f.realPath), f);
  }
  const assigned = new Set<ScannedFile>();
  const depth = (p: string) => dirname(p).split('/').length;
  const order = [...parsed.keys()].sort((a, b) => depth(b) - depth(a) || (a < b ? -1 : 1));
  const projects: TsProject[] = [];
  for (const name of order) {
    const cmd = parsed.get(name)!;
    const owned: ScannedFile[] = [];
    for (const fileName of cmd.fileNames) {
      const f = byAbs.get(ts.sys.resolvePath(fileName));
      if (f && !assigned.has(f)) {
        assigned.add(f);
        owned.push(f);
      }
    }
    if (owned.length > 0)
      projects.push({
        name,
        options: { ...cmd.options, noEmit: true },
        rootNames: cmd.fileNames,
        files: owned,
      });
  }
  const rest = files.filter((f) => !assigned.has(f));
  if (rest.length > 0) {
    projects.push({
      name: INFERRED_PROJECT,
      options: INFERRED_OPTIONS,
      rootNames: rest.map((f) => f.absPath),
      files: rest,
    });
  }
  return { projects, configErrors };
}

// Library and dependency typings (lib.*.d.ts, node_modules) parsed once per process, keyed by path,
// parse settings and mtime, so repeated index runs in one process skip re-parsing them.
const libraryCache = new Map<string, ts.SourceFile>();

function mtimeMs(fileName: string): number {
  try {
    return statSync(fileName).mtimeMs;
  } catch {
    return -1;
  }
}

/**
 * A compiler host that reads in-scope files from the scan (so a file is read once and hashed
 * content is what gets parsed) and shares parsed library files between programs and runs.
 */
export function createSharedHost(
  root: string,
  scanned: ReadonlyMap<string, ScannedFile>,
): (options: ts.CompilerOptions) => ts.CompilerHost {
  const runCache = new Map<string, ts.SourceFile>();
  return (options) => {
    const host = ts.createCompilerHost(options, true);
    // Type roots (node_modules/@types) of the inferred project are looked up from the current
    // directory: that must be the indexed repository, not wherever cogo was started.
    host.getCurrentDirectory = () => root;
    const readFile = host.readFile.bind(host);
    host.readFile = (fileName) => scanned.get(fileName)?.text ?? readFile(fileName);
    host.getSourceFile = (fileName, languageVersionOrOptions, onError) => {
      const version =
        typeof languageVersionOrOptions === 'object'
          ? languageVersionOrOptions
          : { languageVersion: languageVersionOrOptions };
      const parseKey = `${fileName}|${version.languageVersion}|${version.impliedNodeFormat ?? ''}|${options.moduleDetection ?? ''}`;
      const inRepo = scanned.has(fileName);
      const key = inRepo ? parseKey : `${parseKey}|${mtimeMs(fileName)}`;
      const cache = inRepo ? runCache : libraryCache;
      const hit = cache.get(key);
      if (hit) return hit;
      const text = host.readFile(fileName);
      if (text === undefined) {
        onError?.(`cannot read ${fileName}`);
        return undefined;
      }
      // No parent pointers here: binding sets them for every file of a program, in the same walk.
      const sf = ts.createSourceFile(fileName, text, languageVersionOrOptions, false);
      cache.set(key, sf);
      return sf;
    };
    return host;
  };
}
