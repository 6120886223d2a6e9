import { z } from 'zod';

/** CBO v3 object kinds. `schema.*` kinds are reserved for app-schema ingestion. */
export const OBJECT_KINDS = [
  'module',
  'namespace',
  'class',
  'interface',
  'type',
  'function',
  'method',
  'variable',
] as const;
export type ObjectKind = (typeof OBJECT_KINDS)[number];

export const RELATION_KINDS = [
  'contains',
  'imports',
  'extends',
  'implements',
  'calls',
  'uses_type',
  'returns_type',
  'uses_schema',
] as const;
export type RelationKind = (typeof RELATION_KINDS)[number];

export const LANGUAGES = ['ts', 'py'] as const;
export type Language = (typeof LANGUAGES)[number];

export const VISIBILITIES = ['public', 'protected', 'private'] as const;

/** What produced a relation: syntax alone, the type checker (declared or inferred types), module resolution. */
export const RESOLVERS = ['ts-syntax', 'ts-checker', 'ts-checker-inferred', 'ts-module-resolution'] as const;
export type Resolver = (typeof RESOLVERS)[number];

const objectIdSchema = z.string().regex(/^[0-9a-f]{32}$/);

export const paramSchema = z.object({
  name: z.string().min(1),
  /** Declared type text, else the checker's inferred type text; null when neither is known. */
  type: z.string().nullable(),
  /** True when `type` came from the checker rather than an annotation. */
  type_inferred: z.boolean(),
  optional: z.boolean(),
  default: z.string().nullable(),
  rest: z.boolean(),
});
export type CboParam = z.infer<typeof paramSchema>;

export const returnsSchema = z.object({
  type: z.string().nullable(),
  inferred: z.boolean(),
});
export type CboReturns = z.infer<typeof returnsSchema>;

export const fieldSchema = z.object({
  name: z.string().min(1),
  type: z.string().nullable(),
  type_inferred: z.boolean(),
  optional: z.boolean(),
  readonly: z.boolean(),
  static: z.boolean(),
  visibility: z.enum(VISIBILITIES),
});
export type CboField = z.infer<typeof fieldSchema>;

export const objectMetadataSchema = z
  .object({
    language: z.enum(LANGUAGES),
    exported: z.boolean(),
    async: z.boolean().optional(),
    abstract: z.boolean().optional(),
    static: z.boolean().optional(),
    decorators: z.array(z.string()).optional(),
    tags: z.array(z.string()),
    external: z.boolean().optional(),
  })
  .catchall(z.unknown());
export type CboObjectMetadata = z.infer<typeof objectMetadataSchema>;

/** A Code Base Object, CBO v3. Field names are the contract: docs/schemas/CBO_SCHEMA.md. */
export const cboObjectSchema = z.object({
  id: objectIdSchema,
  kind: z.union([z.enum(OBJECT_KINDS), z.string().regex(/^schema\.[A-Za-z_][A-Za-z0-9_.]*$/)]),
  name: z.string().min(1),
  qualified_name: z.string().min(1),
  /** Repo-relative path with '/' separators; null only for external modules. */
  file_path: z.string().nullable(),
  signature: z.string(),
  start_line: z.number().int().min(1).nullable(),
  end_line: z.number().int().min(1).nullable(),
  params_json: z.array(paramSchema),
  returns_json: returnsSchema.nullable(),
  fields_json: z.array(fieldSchema),
  doc: z.string().nullable(),
  metadata: objectMetadataSchema,
});
export type CboObject = z.infer<typeof cboObjectSchema>;

export const evidenceSchema = z.object({
  file: z.string(),
  line: z.number().int().min(1),
});

/** A relation between two CBO objects, CBO v3. */
export const cboRelationSchema = z.object({
  id: objectIdSchema,
  kind: z.enum(RELATION_KINDS),
  src_id: objectIdSchema,
  dst_id: objectIdSchema,
  /** What produced the edge: `ts-syntax`, `ts-checker`, `ts-checker-inferred`, `ts-module-resolution`. */
  resolver: z.enum(RESOLVERS),
  confidence: z.number().min(0).max(1),
  evidence: evidenceSchema,
  metadata: z.record(z.string(), z.unknown()),
});
export type CboRelation = z.infer<typeof cboRelationSchema>;
