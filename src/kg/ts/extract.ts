import { basename } from 'node:path';
import ts from 'typescript';
import type { CboObject, CboRelation } from '../model.ts';
import type { ScannedFile } from '../scan.ts';
import { standardTags } from '../tags.ts';
import { collectDeclarations } from './collector.ts';
import { buildObject } from './objects.ts';
import type { TsProject } from './programs.ts';
import {
  type CallSample,
  type CallStats,
  emptyCallStats,
  extractRelations,
  fileDependencies,
  type ResolveContext,
} from './relations.ts';
import { affectsGlobals, lineOf } from './syntax.ts';

/** What one file contributed to the graph, or why it contributed nothing. */
export interface FileExtraction {
  readonly file: ScannedFile;
  readonly project: string;
  readonly objects: CboObject[];
  readonly relations: CboRelation[];
  readonly externalModules: CboObject[];
  readonly calls: CallStats;
  readonly callSamples: CallSample[];
  readonly unresolvedImports: string[];
  /** In-scope files whose changes can change this file's extraction (see `fileDependencies`). */
  readonly dependsOn: string[];
  readonly lineCount: number;
  /** True when the file can change what other files see without being imported (scripts, `declare global`). */
  readonly affectsGlobals: boolean;
  /** Set when the file has syntax errors; it is then skipped whole. */
  readonly parseError?: string;
}

export interface ProjectContext {
  readonly root: string;
  /** Absolute path (either the link or its real path) to the scanned file. */
  readonly scannedByAbs: ReadonlyMap<string, ScannedFile>;
  readonly hostFor: (options: ts.CompilerOptions) => ts.CompilerHost;
}

function moduleObject(
  sf: ts.SourceFile,
  path: string,
  checker: ts.TypeChecker,
  id: string,
  lineCount: number,
): CboObject {
  const symbol = checker.getSymbolAtLocation(sf);
  const exports = symbol
    ? checker
        .getExportsOfModule(symbol)
        .map((s) => s.name)
        .sort()
    : [];
  const first = sf.statements[0];
  const fileDoc = first
    ? ts
        .getJSDocCommentsAndTags(first)
        .filter(ts.isJSDoc)
        .find((d) =>
          d.tags?.some((t) =>
            ['module', 'packageDocumentation', 'file', 'fileoverview'].includes(t.tagName.text),
          ),
        )
    : undefined;
  return {
    id,
    kind: 'module',
    name: basename(path),
    qualified_name: path,
    file_path: path,
    signature: `module ${path}`,
    start_line: 1,
    end_line: lineCount,
    params_json: [],
    returns_json: null,
    fields_json: [],
    doc: fileDoc ? (ts.getTextOfJSDocComment(fileDoc.comment) ?? null) : null,
    metadata: {
      language: 'ts',
      exported: exports.length > 0,
      tags: standardTags({ language: 'ts', kind: 'module', path, exported: exports.length > 0 }),
      exports,
      script: !ts.isExternalModule(sf),
    },
  };
}

/**
 * Builds the project's program and extracts the given files (all of the project's files when
 * `only` is omitted). One program per project; the checker answers on demand.
 */
export function extractProject(
  project: TsProject,
  ctx: ProjectContext,
  only?: ReadonlySet<string>,
): FileExtraction[] {
  const program = ts.createProgram({
    rootNames: [...new Set([...project.rootNames, ...project.files.map((f) => f.absPath)])],
    options: project.options,
    host: ctx.hostFor(project.options),
  });
  const checker = program.getTypeChecker();
  const syntaxErrors = new Map<string, boolean>();
  const hasSyntaxErrors = (fileName: string): boolean => {
    let broken = syntaxErrors.get(fileName);
    if (broken === undefined) {
      const sf = program.getSourceFile(fileName);
      broken = sf !== undefined && program.getSyntacticDiagnostics(sf).length > 0;
      syntaxErrors.set(fileName, broken);
    }
    return broken;
  };
  const rootPrefix = `${ts.sys.resolvePath(ctx.root)}/`;
  const resolve: ResolveContext = {
    program,
    checker,
    // A file with syntax errors is not in the graph, so nothing may point into it.
    scopedPath: (fileName) => {
      const path = ctx.scannedByAbs.get(fileName)?.path;
      return path !== undefined && !hasSyntaxErrors(fileName) ? path : undefined;
    },
    scannedPath: (fileName) => ctx.scannedByAbs.get(fileName)?.path,
    isRepoFile: (fileName) => fileName.startsWith(rootPrefix) && !fileName.includes('/node_modules/'),
  };
  const out: FileExtraction[] = [];
  for (const file of project.files) {
    if (only && !only.has(file.path)) continue;
    const sf = program.getSourceFile(file.absPath) ?? program.getSourceFile(file.realPath);
    const base = {
      file,
      project: project.name,
      externalModules: [],
      calls: emptyCallStats(),
      callSamples: [],
      unresolvedImports: [],
      dependsOn: [],
    };
    if (!sf) {
      out.push({
        ...base,
        objects: [],
        relations: [],
        lineCount: 0,
        affectsGlobals: false,
        parseError: 'not part of the program',
      });
      continue;
    }
    const lineCount = sf.getLineStarts().length;
    const syntax = program.getSyntacticDiagnostics(sf);
    if (syntax.length > 0) {
      const d = syntax[0]!;
      const where = d.start === undefined ? '' : ` at line ${lineOf(sf, d.start)}`;
      const message = ts.flattenDiagnosticMessageText(d.messageText, ' ');
      out.push({
        ...base,
        objects: [],
        relations: [],
        lineCount,
        affectsGlobals: affectsGlobals(sf),
        parseError: `syntax error TS${d.code}${where}: ${message}`,
      });
      continue;
    }
    const decls = collectDeclarations(sf, file.path, checker);
    const objects = [
      moduleObject(sf, file.path, checker, decls.moduleId, lineCount),
      ...decls.groups.map((g) => buildObject(g, file.path, sf, checker)),
    ];
    const rel = extractRelations(resolve, sf, file.path, decls);
    const dependsOn = fileDependencies(resolve, sf);
    out.push({ ...base, ...rel, objects, dependsOn, lineCount, affectsGlobals: affectsGlobals(sf) });
  }
  return out;
}
