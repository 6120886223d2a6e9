import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { CogoError } from '../core/index.ts';
import type { Db } from '../db/index.ts';
import { cboObjectSchema, cboRelationSchema } from './model.ts';
import { OBJECT_SELECT, type ObjectRow, type RelationRow, rowToObject, rowToRelation } from './rows.ts';

function validated<T extends { id: string }>(schema: z.ZodType<T>, record: T, what: string): T {
  const result = schema.safeParse(record);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  throw new CogoError('KG_EXPORT_INVALID', `${what} ${record.id} does not match CBO v3: ${issues}`);
}

export interface ExportResult {
  readonly objectsFile: string;
  readonly relationsFile: string;
  readonly objects: number;
  readonly relations: number;
}

/**
 * Writes the graph as `objects.jsonl` and `relations.jsonl` (one CBO v3 record a line, sorted by id),
 * validating every record against the CBO schema on the way out.
 */
export async function exportGraph(db: Db, dir: string): Promise<ExportResult> {
  mkdirSync(dir, { recursive: true });
  const objects = await db.query<ObjectRow>(`select ${OBJECT_SELECT} from cbo_objects order by id`);
  const relations = await db.query<RelationRow>(
    `select id, kind, src_id, dst_id, resolver, confidence, evidence_file, evidence_line, metadata
       from cbo_relations order by id`,
  );
  const objectsFile = join(dir, 'objects.jsonl');
  const relationsFile = join(dir, 'relations.jsonl');
  const lines = (items: unknown[]) => items.map((x) => `${JSON.stringify(x)}\n`).join('');
  writeFileSync(
    objectsFile,
    lines(objects.rows.map((r) => validated(cboObjectSchema, rowToObject(r), 'object'))),
  );
  writeFileSync(
    relationsFile,
    lines(relations.rows.map((r) => validated(cboRelationSchema, rowToRelation(r), 'relation'))),
  );
  return { objectsFile, relationsFile, objects: objects.rows.length, relations: relations.rows.length };
}
