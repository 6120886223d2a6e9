import type { CboObject, CboRelation } from './model.ts';

/** A `cbo_objects` row as the drivers return it. */
export interface ObjectRow {
  id: string;
  kind: string;
  name: string;
  qualified_name: string;
  file_path: string | null;
  signature: string;
  start_line: number | null;
  end_line: number | null;
  params_json: CboObject['params_json'];
  returns_json: CboObject['returns_json'];
  fields_json: CboObject['fields_json'];
  doc: string | null;
  metadata: CboObject['metadata'];
}

export interface RelationRow {
  id: string;
  kind: CboRelation['kind'];
  src_id: string;
  dst_id: string;
  resolver: CboRelation['resolver'];
  confidence: number;
  evidence_file: string;
  evidence_line: number;
  metadata: Record<string, unknown>;
}

export const OBJECT_SELECT = `id, kind, name, qualified_name, file_path, signature, start_line, end_line,
  params_json, returns_json, fields_json, doc, metadata`;

export function rowToObject(r: ObjectRow): CboObject {
  return {
    id: r.id,
    kind: r.kind,
    name: r.name,
    qualified_name: r.qualified_name,
    file_path: r.file_path,
    signature: r.signature,
    start_line: r.start_line,
    end_line: r.end_line,
    params_json: r.params_json,
    returns_json: r.returns_json,
    fields_json: r.fields_json,
    doc: r.doc,
    metadata: r.metadata,
  };
}

export function rowToRelation(r: RelationRow): CboRelation {
  return {
    id: r.id,
    kind: r.kind,
    src_id: r.src_id,
    dst_id: r.dst_id,
    resolver: r.resolver,
    // real is single precision; round so 0.9 reads back as 0.9.
    confidence: Math.round(Number(r.confidence) * 1e6) / 1e6,
    evidence: { file: r.evidence_file, line: r.evidence_line },
    metadata: r.metadata,
  };
}
