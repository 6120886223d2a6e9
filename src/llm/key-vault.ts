/**
 * The key vault: provider API keys encrypted at rest in `secure_keys`, every read, write, revoke and
 * failure audited in `secure_keys_audit`. AES-256-GCM under a data key derived (HKDF-SHA256, a random
 * salt per version) from the master key; the key's id and version are the cipher's associated data,
 * so a ciphertext moved to another id or version does not decrypt. An HMAC of (id, version,
 * plaintext) is stored on write and checked on read. Writes are check-and-set on `version_int`.
 * The plaintext never reaches the database, an error, a log line or an audit row.
 */
import { Buffer } from 'node:buffer';
import { CogoError } from '../core/index.ts';
import type { Db } from '../db/index.ts';
import {
  deriveVaultKeys,
  MASTER_KEY_BYTES,
  open,
  type Sealed,
  seal,
  type VaultKeys,
} from './vault-crypto.ts';

/** Every code a {@link VaultError} carries. */
export const VAULT_ERROR_CODES = [
  'VAULT_NOT_FOUND',
  'VAULT_CONFLICT',
  'VAULT_EXPIRED',
  'VAULT_NOT_YET_VALID',
  'VAULT_REVOKED',
  'VAULT_INTEGRITY',
  'VAULT_MASTER_KEY_MISMATCH',
  'VAULT_MASTER_KEY_INVALID',
  'VAULT_INVALID_INPUT',
] as const;
export type VaultErrorCode = (typeof VAULT_ERROR_CODES)[number];

/** A vault failure. Messages name key ids and versions, never a secret or the master key. */
export class VaultError extends CogoError {
  declare readonly code: VaultErrorCode;
  /** For VAULT_CONFLICT: the version the key has now (0: it does not exist). */
  readonly currentVersion: number | undefined;

  constructor(
    code: VaultErrorCode,
    message: string,
    options: { cause?: unknown; currentVersion?: number } = {},
  ) {
    super(code, message, { cause: options.cause });
    this.name = 'VaultError';
    this.currentVersion = options.currentVersion;
  }
}

/** What `list` returns for a key: metadata only, never ciphertext. */
export interface KeyMetadata {
  readonly id: string;
  readonly version: number;
  readonly validFrom: Date;
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
  readonly updatedAt: Date;
  readonly updatedBy: string;
}

/** A `put`: `expectedVersion` 0 creates the key; otherwise it must be the key's current version. */
export interface PutKeyOptions {
  readonly expectedVersion: number;
  /** Who writes, for the audit. */
  readonly actor: string;
  /** Default: now. */
  readonly validFrom?: Date;
  /** Default: never. Must be after `validFrom`. */
  readonly expiresAt?: Date;
}

/** A decrypted, verified key. */
export interface VaultKey {
  readonly id: string;
  readonly version: number;
  readonly secret: string;
  readonly expiresAt: Date | null;
}

/** The encrypted store of provider API keys. Every call but `list` writes an audit row. */
export interface KeyVault {
  /**
   * Check-and-set write of the next version; a lost race is VAULT_CONFLICT with `currentVersion`.
   * Writing a revoked key's next version makes the key usable again.
   */
  put(id: string, secret: string, options: PutKeyOptions): Promise<{ id: string; version: number }>;
  /** Decrypts and verifies a key that is neither revoked, nor not yet valid, nor expired. */
  get(id: string, options: { actor: string }): Promise<VaultKey>;
  /** Revokes the key if it is at `expectedVersion` (otherwise VAULT_CONFLICT). */
  revoke(id: string, options: { actor: string; expectedVersion: number }): Promise<void>;
  /** Metadata of every key, by id; never ciphertext. */
  list(): Promise<KeyMetadata[]>;
}

/** What `createKeyVault` takes. */
export interface KeyVaultOptions {
  /** 32 bytes; see {@link parseMasterKey}. */
  readonly masterKey: Uint8Array;
  /** The clock for validity and expiry checks. Default: the system clock. */
  readonly now?: () => Date;
}

const MAX_SECRET_BYTES = 16_384;
const MAX_ACTOR_CHARS = 200;
// version_int is a Postgres integer; the next version must fit too.
const MAX_VERSION = 2_147_483_647;
const KEY_ID = /^[A-Za-z0-9._:-]{1,128}$/;

const invalidMasterKey = (detail: string) =>
  new VaultError(
    'VAULT_MASTER_KEY_INVALID',
    `the master key must be 32 bytes, as 64 hex digits or 43-44 base64 characters (${detail})`,
  );

/**
 * Decodes a master key given as 64 hex digits or as base64 (standard or URL-safe, padded or not)
 * of exactly 32 bytes. A bad value is VAULT_MASTER_KEY_INVALID; the message never echoes it.
 *
 * @example
 * const masterKey = parseMasterKey(config.llm.vaultMasterKey); // `openssl rand -hex 32`
 */
export function parseMasterKey(value: string): Uint8Array {
  if (typeof value !== 'string') throw invalidMasterKey('not a string');
  const v = value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(v)) return new Uint8Array(Buffer.from(v, 'hex'));
  // Buffer's base64 decoder skips characters outside the alphabet, so check them and the length
  // first; then the round trip rejects a last character with stray low bits (two spellings).
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(v)) {
    const bytes = Buffer.from(v, 'base64');
    const canonical = v.replace(/=$/, '').replaceAll('+', '-').replaceAll('/', '_');
    if (bytes.length === MASTER_KEY_BYTES && bytes.toString('base64url') === canonical)
      return new Uint8Array(bytes);
    throw invalidMasterKey('not canonical base64');
  }
  throw invalidMasterKey(`got ${v.length} characters`);
}

interface KeyRow {
  id: string;
  version_int: number;
  ciphertext: Uint8Array;
  iv: Uint8Array;
  auth_tag: Uint8Array;
  salt: Uint8Array;
  master_key_id: string;
  checksum: string;
  valid_from: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  updated_at: Date;
  updated_by: string;
}

/** Decrypts and verifies a row; VAULT_INTEGRITY on any failed check. The caller zeroes the result. */
function unseal(keys: VaultKeys, row: KeyRow): Buffer {
  const { id, version_int: version } = row;
  const sealed = { ...row, authTag: row.auth_tag };
  const opened = open(keys, id, version, sealed);
  if (opened.ok) return opened.plaintext;
  throw new VaultError('VAULT_INTEGRITY', `key ${id} version ${version} ${opened.why}`, {
    cause: opened.cause,
  });
}

const isDate = (d: unknown): d is Date => d instanceof Date && !Number.isNaN(d.getTime());
const invalid = (message: string) => new VaultError('VAULT_INVALID_INPUT', message);

function checkKeyRef(id: string, actor: string): void {
  if (typeof id !== 'string' || !KEY_ID.test(id))
    throw invalid('a key id is 1-128 letters, digits, . _ : or -');
  if (typeof actor !== 'string' || actor.trim() === '' || actor.length > MAX_ACTOR_CHARS)
    throw invalid(`an actor is 1-${MAX_ACTOR_CHARS} characters`);
}

function checkVersion(version: number, min: number): void {
  if (!Number.isInteger(version) || version < min || version >= MAX_VERSION)
    throw invalid(`expectedVersion is a whole number from ${min} to ${MAX_VERSION - 1}`);
}

/** The secret as UTF-8 bytes, which the caller zeroes. */
function secretBytes(secret: string): Buffer {
  // Lone surrogates would be stored as U+FFFD and read back as a different secret.
  if (typeof secret !== 'string' || secret.trim() === '' || !secret.isWellFormed())
    throw invalid('a secret is a non-blank, well-formed string');
  const bytes = Buffer.from(secret, 'utf8');
  if (bytes.length > MAX_SECRET_BYTES) throw invalid(`a secret is at most ${MAX_SECRET_BYTES} bytes`);
  return bytes;
}

function checkWindow(validFrom: Date, expiresAt: Date | undefined): void {
  if (!isDate(validFrom)) throw invalid('validFrom is not a valid date');
  if (expiresAt === undefined) return;
  if (!isDate(expiresAt)) throw invalid('expiresAt is not a valid date');
  if (expiresAt.getTime() <= validFrom.getTime()) throw invalid('expiresAt must be after validFrom');
}

/** Revoked, not yet valid, expired, or sealed under another master key: checked before decrypting. */
function checkUsable(row: KeyRow, at: Date, fingerprint: string): void {
  const name = `key ${row.id} version ${row.version_int}`;
  if (row.revoked_at) throw new VaultError('VAULT_REVOKED', `${name} was revoked`);
  if (new Date(row.valid_from).getTime() > at.getTime())
    throw new VaultError('VAULT_NOT_YET_VALID', `${name} is not valid yet`);
  if (row.expires_at && new Date(row.expires_at).getTime() <= at.getTime())
    throw new VaultError('VAULT_EXPIRED', `${name} expired`);
  if (row.master_key_id !== fingerprint)
    throw new VaultError('VAULT_MASTER_KEY_MISMATCH', `${name} was sealed with another master key`);
}

type AuditAction = 'read' | 'write' | 'revoke' | 'fail';
type AuditOutcome = 'ok' | 'denied' | 'conflict' | 'error';

interface AuditEntry {
  readonly keyId: string;
  readonly version: number | null;
  readonly action: AuditAction;
  readonly actor: string;
  readonly outcome: AuditOutcome;
  readonly reason: string | null;
}

async function insertAudit(db: Db, e: AuditEntry): Promise<void> {
  await db.query(
    `insert into secure_keys_audit (key_id, version_int, action, actor, outcome, reason)
     values ($1, $2, $3, $4, $5, $6)`,
    // Ids and actors that failed validation are still recorded, cut to a sane length.
    [e.keyId.slice(0, 200), e.version, e.action, e.actor.slice(0, MAX_ACTOR_CHARS), e.outcome, e.reason],
  );
}

function failureOf(error: unknown): { outcome: AuditOutcome; reason: string } {
  if (!(error instanceof VaultError))
    return { outcome: 'error', reason: error instanceof CogoError ? error.code : 'INTERNAL' };
  if (error.code === 'VAULT_CONFLICT') return { outcome: 'conflict', reason: error.code };
  if (error.code === 'VAULT_INTEGRITY' || error.code === 'VAULT_MASTER_KEY_MISMATCH')
    return { outcome: 'error', reason: error.code };
  return { outcome: 'denied', reason: error.code };
}

// A version worth recording in the audit: what the caller sent may not be one.
const auditVersion = (v: number): number | null =>
  Number.isInteger(v) && v >= 0 && v <= MAX_VERSION ? v : null;

// A write and its audit row are one statement: no write goes unaudited, and the audit rows of
// concurrent writers come in version order (each is inserted under the row's lock).
const withWriteAudit = (write: string) =>
  `with w as (${write} returning id, version_int)
   insert into secure_keys_audit (key_id, version_int, action, actor, outcome)
   select id, version_int, 'write', $11, 'ok' from w returning key_id`;

const INSERT_KEY = withWriteAudit(
  `insert into secure_keys (id, version_int, ciphertext, iv, auth_tag, salt, master_key_id, checksum,
     valid_from, expires_at, updated_by)
   values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) on conflict (id) do nothing`,
);

// `version_int = $12` is the check-and-set: a concurrent writer that committed first changed it, so
// under the row lock this update matches nothing. A new version clears a revocation.
const UPDATE_KEY = withWriteAudit(
  `update secure_keys set version_int = $2, ciphertext = $3, iv = $4, auth_tag = $5, salt = $6,
     master_key_id = $7, checksum = $8, valid_from = $9, expires_at = $10, updated_by = $11,
     revoked_at = null, updated_at = now()
   where id = $1 and version_int = $12`,
);

interface KeyWrite {
  readonly id: string;
  readonly version: number;
  readonly sealed: Sealed;
  readonly fingerprint: string;
  readonly validFrom: Date;
  readonly expiresAt: Date | null;
  readonly actor: string;
}

/** Writes version `w.version` if the key is at `w.version - 1` (0: absent); false if it is not. */
async function writeKey(db: Db, w: KeyWrite): Promise<boolean> {
  const { ciphertext, iv, authTag, salt, checksum } = w.sealed;
  const values = [
    w.id,
    w.version,
    ciphertext,
    iv,
    authTag,
    salt,
    w.fingerprint,
    checksum,
    w.validFrom,
    w.expiresAt,
    w.actor,
  ];
  const { rows } =
    w.version === 1
      ? await db.query(INSERT_KEY, values)
      : await db.query(UPDATE_KEY, [...values, w.version - 1]);
  return rows.length > 0;
}

/** Revokes the key at `version`, with its audit row in the same statement; false if nothing matched. */
async function revokeKey(db: Db, id: string, version: number, actor: string, at: Date): Promise<boolean> {
  const { rows } = await db.query(
    `with r as (
       update secure_keys set revoked_at = $4, updated_at = now(), updated_by = $3
        where id = $1 and version_int = $2 and revoked_at is null returning id, version_int
     )
     insert into secure_keys_audit (key_id, version_int, action, actor, outcome)
     select id, version_int, 'revoke', $3, 'ok' from r returning key_id`,
    [id, version, actor, at],
  );
  return rows.length > 0;
}

async function selectKey(db: Db, id: string): Promise<KeyRow | undefined> {
  return (await db.query<KeyRow>('select * from secure_keys where id = $1', [id])).rows[0];
}

async function selectVersion(db: Db, id: string): Promise<{ version: number; revoked: boolean } | undefined> {
  const { rows } = await db.query<{ version_int: number; revoked_at: Date | null }>(
    'select version_int, revoked_at from secure_keys where id = $1',
    [id],
  );
  const row = rows[0];
  return row && { version: row.version_int, revoked: row.revoked_at !== null };
}

const conflict = (id: string, current: number, expected: number) =>
  new VaultError('VAULT_CONFLICT', `key ${id} is at version ${current}, not ${expected}: read it and retry`, {
    currentVersion: current,
  });

/**
 * The key vault over `secure_keys` and `secure_keys_audit` (migration 00005).
 *
 * @example
 * const vault = createKeyVault(db, { masterKey: parseMasterKey(config.llm.vaultMasterKey) });
 * await vault.put('openai', apiKey, { expectedVersion: 0, actor: 'admin' });
 * const { secret } = await vault.get('openai', { actor: 'router' });
 */
export function createKeyVault(db: Db, options: KeyVaultOptions): KeyVault {
  if (!(options.masterKey instanceof Uint8Array) || options.masterKey.length !== MASTER_KEY_BYTES)
    throw invalidMasterKey('got another length');
  const keys = deriveVaultKeys(options.masterKey);
  const now = options.now ?? (() => new Date());

  // Runs `op`; a failure gets its `fail` audit row, written on its own (never inside a transaction
  // that rolls back), before it is rethrown. If the database cannot take the row either, the
  // caller still gets the original error, which says more than the audit insert's.
  const audited = async <T>(
    keyId: string,
    actor: string,
    version: () => number | null,
    op: () => Promise<T>,
  ): Promise<T> => {
    try {
      return await op();
    } catch (error) {
      const entry = { keyId: String(keyId), version: version(), actor: String(actor), ...failureOf(error) };
      await insertAudit(db, { ...entry, action: 'fail' }).catch(() => undefined);
      throw error;
    }
  };

  return {
    put: (id, secret, o) =>
      audited(
        id,
        o.actor,
        () => auditVersion(o.expectedVersion + 1),
        async () => {
          checkKeyRef(id, o.actor);
          checkVersion(o.expectedVersion, 0);
          const validFrom = o.validFrom ?? now();
          checkWindow(validFrom, o.expiresAt);
          const version = o.expectedVersion + 1;
          const plaintext = secretBytes(secret);
          let sealed: Sealed;
          try {
            sealed = seal(keys, id, version, plaintext);
          } finally {
            plaintext.fill(0);
          }
          const expiresAt = o.expiresAt ?? null;
          const write = { id, version, sealed, fingerprint: keys.fingerprint, validFrom, expiresAt };
          if (await writeKey(db, { ...write, actor: o.actor })) return { id, version };
          throw conflict(id, (await selectVersion(db, id))?.version ?? 0, o.expectedVersion);
        },
      ),

    get(id, o) {
      let version: number | null = null;
      return audited(
        id,
        o.actor,
        () => version,
        async () => {
          checkKeyRef(id, o.actor);
          const row = await selectKey(db, id);
          if (!row) throw new VaultError('VAULT_NOT_FOUND', `no key ${id}`);
          version = row.version_int;
          checkUsable(row, now(), keys.fingerprint);
          const plaintext = unseal(keys, row);
          try {
            // Audited before the secret leaves: a read that cannot be recorded returns nothing.
            await insertAudit(db, {
              keyId: id,
              version,
              action: 'read',
              actor: o.actor,
              outcome: 'ok',
              reason: null,
            });
            const expiresAt = row.expires_at ? new Date(row.expires_at) : null;
            return { id, version, secret: plaintext.toString('utf8'), expiresAt };
          } finally {
            plaintext.fill(0);
          }
        },
      );
    },

    revoke: (id, o) =>
      audited(
        id,
        o.actor,
        () => auditVersion(o.expectedVersion),
        async () => {
          checkKeyRef(id, o.actor);
          checkVersion(o.expectedVersion, 1);
          if (await revokeKey(db, id, o.expectedVersion, o.actor, now())) return;
          const current = await selectVersion(db, id);
          if (!current) throw new VaultError('VAULT_NOT_FOUND', `no key ${id}`);
          if (current.revoked && current.version === o.expectedVersion)
            throw new VaultError('VAULT_REVOKED', `key ${id} version ${current.version} is already revoked`);
          throw conflict(id, current.version, o.expectedVersion);
        },
      ),

    async list() {
      const { rows } = await db.query<KeyRow>(
        `select id, version_int, valid_from, expires_at, revoked_at, updated_at, updated_by
           from secure_keys order by id`,
      );
      return rows.map((r) => ({
        id: r.id,
        version: r.version_int,
        validFrom: new Date(r.valid_from),
        expiresAt: r.expires_at ? new Date(r.expires_at) : null,
        revokedAt: r.revoked_at ? new Date(r.revoked_at) : null,
        updatedAt: new Date(r.updated_at),
        updatedBy: r.updated_by,
      }));
    },
  };
}
