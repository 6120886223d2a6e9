/**
 * Which symbols a question is about: its candidates (`question.ts`) checked against the index —
 * definitions by exact name, modules by path or module word — and the names a user's correction
 * writes in code form.
 */
import type { Db } from '../db/index.ts';
import { type CboObject, findDefinitions, loadObjects } from '../kg/index.ts';
import { codeWordsOf } from '../search/index.ts';
import type { ClassifiedQuestion } from './question.ts';

/** At most this many subjects (and entries) per question. */
export const MAX_SUBJECTS = 5;

/**
 * The modules a subject names: a path (`src/kg/queries.ts`, `src/kg/queries`, `queries.ts`) or a
 * module word ("the migrator module"). Several matches are ranked by how many of the question's
 * words their path has ("the chat subsystem's index.ts").
 */
async function modulesNamed(db: Db, subject: string, question: string): Promise<CboObject[]> {
  const direct = (await findDefinitions(db, subject)).filter((o) => o.kind === 'module');
  if (direct.length > 0) return direct;
  const { rows } = await db.query<{ id: string; file_path: string }>(
    `select id, file_path from cbo_objects where kind = 'module' and file_path is not null
        and (file_path = $1 or file_path like $1 || '.%' or file_path like '%/' || $1 or file_path like '%/' || $1 || '.%'
             or file_path like '%/' || $1 || '/index.%')
      order by length(file_path), file_path limit 50`,
    [subject],
  );
  const words = new Set(question.toLowerCase().match(/[a-z][a-z0-9_-]+/g) ?? []);
  const score = (path: string) =>
    path
      .toLowerCase()
      .split(/[/.]/)
      .filter((part) => words.has(part)).length;
  const ranked = [...rows].sort((a, b) => score(b.file_path) - score(a.file_path));
  const best = ranked[0] ? score(ranked[0].file_path) : 0;
  return loadObjects(
    db,
    ranked
      .filter((r) => score(r.file_path) === best)
      .slice(0, 3)
      .map((r) => r.id),
  );
}

const TYPE_KINDS = new Set(['interface', 'type', 'class']);

/** A name the question writes that resolved, and how many definitions it has in the index. */
export interface SubjectName {
  readonly text: string;
  /** Every definition of the name in the question's languages; the subjects keep at most five. */
  readonly total: number;
  /** The subjects taken for it. */
  readonly ids: readonly string[];
}

export interface ResolvedSubjects {
  readonly classified: ClassifiedQuestion;
  readonly subjects: CboObject[];
  /** The names the subjects were taken for, in order. */
  readonly names: SubjectName[];
}

/**
 * Checks the question's candidate symbols against the index. A structural question keeps the
 * candidates that resolve (up to five objects); if none does and one was written as code, it stays
 * structural (to be declined); if only plain words were, it becomes an open question.
 */
export async function resolveSubjects(
  db: Db,
  question: string,
  classified: ClassifiedQuestion,
  languages: readonly string[],
): Promise<ResolvedSubjects> {
  if (classified.intent === 'open') return { classified, subjects: [], names: [] };
  const subjects: CboObject[] = [];
  const names: SubjectName[] = [];
  let firstResolved: string | null = null;
  for (const c of classified.candidates) {
    if (subjects.length >= MAX_SUBJECTS) break;
    // Plain words are tried only until one names a symbol; code-form words are all taken.
    if (c.strength === 'word' && subjects.length > 0) break;
    const asModule = c.module || classified.intent === 'exports' || /[/\\]|\.[jt]sx?$|\.py$/.test(c.text);
    const found = (
      asModule ? await modulesNamed(db, c.text, question) : await findDefinitions(db, c.text)
    ).filter(
      (o) =>
        languages.includes(o.metadata.language) &&
        o.file_path !== null &&
        !subjects.some((s) => s.id === o.id),
    );
    if (found.length === 0) {
      // The symbol the question names first, written as code, is not in the index: say so rather
      // than answer about another candidate (`LlmClient.resetCircuit` is not `LlmClient`).
      if (c === classified.candidates[0] && c.strength === 'code')
        return { classified: { ...classified, subject: c.text }, subjects: [], names: [] };
      continue;
    }
    firstResolved ??= c.text;
    const taken = found.slice(0, MAX_SUBJECTS - subjects.length);
    subjects.push(...taken);
    names.push({ text: c.text, total: found.length, ids: taken.map((o) => o.id) });
  }
  if (subjects.length === 0) {
    const code = classified.candidates.find((c) => c.strength === 'code');
    return code
      ? { classified: { ...classified, subject: code.text }, subjects: [], names: [] }
      : { classified: { ...classified, intent: 'open', subject: null }, subjects: [], names: [] };
  }
  const intent =
    classified.usage && subjects.every((s) => TYPE_KINDS.has(s.kind)) ? 'type_uses' : classified.intent;
  return { classified: { ...classified, intent, subject: firstResolved }, subjects, names };
}

const MAX_MENTIONS = 5;

/** The definitions of the identifiers a text writes in code form (`Foo.bar`, `load_config`, `run()`). */
export async function resolveMentions(
  db: Db,
  text: string | undefined,
  languages: readonly string[],
): Promise<{ found: CboObject[]; missing: string[] }> {
  if (!text) return { found: [], missing: [] };
  const names = [
    ...new Set([...codeWordsOf(text), ...[...text.matchAll(/`([A-Za-z_$][\w$.]*)`/g)].map((m) => m[1]!)]),
  ].slice(0, MAX_MENTIONS);
  const found: CboObject[] = [];
  const missing: string[] = [];
  for (const name of names) {
    const defs = (await findDefinitions(db, name)).filter(
      (o) => languages.includes(o.metadata.language) && o.file_path,
    );
    if (defs.length === 0) missing.push(name);
    else found.push(...defs.slice(0, 2));
  }
  return { found, missing };
}
