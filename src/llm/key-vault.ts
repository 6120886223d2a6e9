/**
 * The key vault: provider API keys encrypted at rest in `secure_keys`, every read, write, revoke and
 * failure audited in `secure_keys_audit`. AES-256-GCM under a data key derived (HKDF-SHA256, a random
 * salt per version) from the master key; the key's id and version are the cipher's associated data,
 * so a ciphertext moved to another id or version does not decrypt. An HMAC of (id, version,
 * plaintext) is stored on write and checked on read. Writes are check-and-set on `version_int`.
 * The plaintext never reaches the database, an error, a log line or an audit row.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { CogoError } from '../core/index.ts';
import type { Db } from '../db/index.ts';

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

/** 32 bytes from 64 hex digits or base64; the value never appears in the error. */
export function parseMasterKey(value: string): Uint8Array {
  const v = value.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(v) ? Buffer.from(v, 'hex') : Buffer.from(v, 'base64');
  if (bytes.length !== 32)
    throw new VaultError(
      'VAULT_MASTER_KEY_INVALID',
      'the master key must be 32 bytes, as 64 hex digits or base64',
    );
  return new Uint8Array(bytes);
}

export interface KeyMetadata {
  readonly id: string;
  readonly version: number;
  readonly validFrom: Date;
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
  readonly updatedAt: Date;
  readonly updatedBy: string;
}

export interface KeyVault {
  /** Check-and-set write: `expectedVersion` 0 creates; otherwise it must be the current version. */
  put(
    id: string,
    secret: string,
    options: { expectedVersion: number; actor: string; validFrom?: Date; expiresAt?: Date },
  ): Promise<{ id: string; version: number }>;
  /** Decrypts and verifies a key that is valid now. */
  get(
    id: string,
    options: { actor: string },
  ): Promise<{ id: string; version: number; secret: string; expiresAt: Date | null }>;
  revoke(id: string, options: { actor: string; expectedVersion: number }): Promise<void>;
  /** Metadata only, never ciphertext. */
  list(): Promise<KeyMetadata[]>;
}

const ID = /^[A-Za-z0-9._:-]{1,128}$/;
const MAX_SECRET_BYTES = 16_384;

interface Row {
  id: string;
  version_int: number;
  ciphertext: Buffer;
  iv: Buffer;
  auth_tag: Buffer;
  salt: Buffer;
  master_key_id: string;
  checksum: string;
  valid_from: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  updated_at: Date;
  updated_by: string;
}

const derive = (master: Uint8Array, salt: Uint8Array, info: string) =>
  Buffer.from(hkdfSync('sha256', master, salt, info, 32));

/**
 * @example
 * const vault = createKeyVault(db, { masterKey: parseMasterKey(process.env.COGO_VAULT_MASTER_KEY!) });
 * await vault.put('openai', apiKey, { expectedVersion: 0, actor: 'admin' });
 */
export function createKeyVault(db: Db, options: { masterKey: Uint8Array; now?: () => Date }): KeyVault {
  if (options.masterKey.length !== 32)
    throw new VaultError('VAULT_MASTER_KEY_INVALID', 'the master key must be 32 bytes');
  const master = options.masterKey;
  const now = options.now ?? (() => new Date());
  // A fingerprint that identifies the master key without revealing anything usable about it.
  const masterKeyId = derive(master, Buffer.alloc(0), 'cogo-vault master-key-id v1')
    .subarray(0, 8)
    .toString('hex');
  const checksumKey = derive(master, Buffer.alloc(0), 'cogo-vault checksum v1');
  const aad = (id: string, version: number) => Buffer.from(`cogo-vault:${id}:${version}`);
  const checksum = (id: string, version: number, secret: Buffer) =>
    createHmac('sha256', checksumKey).update(aad(id, version)).update(secret).digest('hex');

  const audit = async (
    keyId: string,
    version: number | null,
    action: 'read' | 'write' | 'revoke' | 'fail',
    actor: string,
    outcome: 'ok' | 'denied' | 'conflict' | 'error',
    reason: string | null,
  ) => {
    await db.query(
      `insert into secure_keys_audit (key_id, version_int, action, actor, outcome, reason) values ($1, $2, $3, $4, $5, $6)`,
      [keyId.slice(0, 200), version, action, actor.slice(0, 200), outcome, reason],
    );
  };

  // Every failure is audited as `fail` (after whatever transaction failed), then thrown.
  const failed = async (
    keyId: string,
    version: number | null,
    actor: string,
    error: VaultError,
  ): Promise<never> => {
    const outcome =
      error.code === 'VAULT_CONFLICT'
        ? 'conflict'
        : error.code === 'VAULT_INTEGRITY' || error.code === 'VAULT_MASTER_KEY_MISMATCH'
          ? 'error'
          : 'denied';
    await audit(keyId, version, 'fail', actor, outcome, error.code);
    throw error;
  };

  const checkInput = (id: string, actor: string) => {
    if (!ID.test(id))
      throw new VaultError('VAULT_INVALID_INPUT', 'a key id is 1-128 letters, digits, . _ : or -');
    if (actor.trim() === '') throw new VaultError('VAULT_INVALID_INPUT', 'an actor is required');
  };

  return {
    async put(id, secret, o) {
      try {
        checkInput(id, o.actor);
        const bytes = Buffer.from(secret, 'utf8');
        if (bytes.length === 0 || bytes.length > MAX_SECRET_BYTES)
          throw new VaultError('VAULT_INVALID_INPUT', `a secret is 1 to ${MAX_SECRET_BYTES} bytes`);
        if (!Number.isInteger(o.expectedVersion) || o.expectedVersion < 0)
          throw new VaultError('VAULT_INVALID_INPUT', 'expectedVersion is a whole number >= 0');
        const validFrom = o.validFrom ?? now();
        if (o.expiresAt && o.expiresAt.getTime() <= validFrom.getTime())
          throw new VaultError('VAULT_INVALID_INPUT', 'expiresAt must be after validFrom');
        const version = o.expectedVersion + 1;
        const salt = randomBytes(16);
        const iv = randomBytes(12);
        const cipher = createCipheriv('aes-256-gcm', derive(master, salt, 'cogo-vault data-key v1'), iv);
        cipher.setAAD(aad(id, version));
        const ciphertext = Buffer.concat([cipher.update(bytes), cipher.final()]);
        const values = [
          id,
          version,
          ciphertext,
          iv,
          cipher.getAuthTag(),
          salt,
          masterKeyId,
          checksum(id, version, bytes),
          validFrom,
          o.expiresAt ?? null,
          o.actor,
        ];
        // The write and its audit row are one statement: no write goes unaudited, and audit rows
        // of concurrent writers come in version order (each is inserted under the row's lock).
        const written = (sql: string) =>
          `with w as (${sql} returning id, version_int)
           insert into secure_keys_audit (key_id, version_int, action, actor, outcome)
           select id, version_int, 'write', $11, 'ok' from w returning key_id`;
        const { rows } =
          o.expectedVersion === 0
            ? await db.query<{ key_id: string }>(
                written(`insert into secure_keys (id, version_int, ciphertext, iv, auth_tag, salt, master_key_id, checksum,
                   valid_from, expires_at, updated_by)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) on conflict (id) do nothing`),
                values,
              )
            : await db.query<{ key_id: string }>(
                written(`update secure_keys set version_int = $2, ciphertext = $3, iv = $4, auth_tag = $5, salt = $6,
                   master_key_id = $7, checksum = $8, valid_from = $9, expires_at = $10, updated_by = $11,
                   revoked_at = null, updated_at = now()
                 where id = $1 and version_int = $12`),
                [...values, o.expectedVersion],
              );
        if (rows.length === 0) {
          const current = await db.query<{ version_int: number }>(
            'select version_int from secure_keys where id = $1',
            [id],
          );
          const currentVersion = current.rows[0]?.version_int ?? 0;
          throw new VaultError(
            'VAULT_CONFLICT',
            `key ${id} is at version ${currentVersion}, not ${o.expectedVersion}: read it again and retry`,
            { currentVersion },
          );
        }
        return { id, version };
      } catch (error) {
        if (error instanceof VaultError) return failed(id, o.expectedVersion + 1, o.actor, error);
        throw error;
      }
    },

    async get(id, o) {
      let version: number | null = null;
      try {
        checkInput(id, o.actor);
        const { rows } = await db.query<Row>('select * from secure_keys where id = $1', [id]);
        const row = rows[0];
        if (!row) throw new VaultError('VAULT_NOT_FOUND', `no key ${id}`);
        version = row.version_int;
        const at = now().getTime();
        if (row.revoked_at) throw new VaultError('VAULT_REVOKED', `key ${id} version ${version} was revoked`);
        if (new Date(row.valid_from).getTime() > at)
          throw new VaultError('VAULT_NOT_YET_VALID', `key ${id} version ${version} is not valid yet`);
        if (row.expires_at && new Date(row.expires_at).getTime() <= at)
          throw new VaultError('VAULT_EXPIRED', `key ${id} version ${version} expired`);
        if (row.master_key_id !== masterKeyId)
          throw new VaultError('VAULT_MASTER_KEY_MISMATCH', `key ${id} was sealed with another master key`);
        let plain: Buffer;
        try {
          const decipher = createDecipheriv(
            'aes-256-gcm',
            derive(master, row.salt, 'cogo-vault data-key v1'),
            row.iv,
          );
          decipher.setAAD(aad(id, version));
          decipher.setAuthTag(row.auth_tag);
          plain = Buffer.concat([decipher.update(row.ciphertext), decipher.final()]);
        } catch (cause) {
          throw new VaultError('VAULT_INTEGRITY', `key ${id} version ${version} failed authentication`, {
            cause,
          });
        }
        const expected = Buffer.from(checksum(id, version, plain), 'hex');
        const stored = Buffer.from(row.checksum, 'hex');
        if (stored.length !== expected.length || !timingSafeEqual(stored, expected))
          throw new VaultError('VAULT_INTEGRITY', `key ${id} version ${version} failed its checksum`);
        await audit(id, version, 'read', o.actor, 'ok', null);
        return {
          id,
          version,
          secret: plain.toString('utf8'),
          expiresAt: row.expires_at ? new Date(row.expires_at) : null,
        };
      } catch (error) {
        if (error instanceof VaultError) return failed(id, version, o.actor, error);
        throw error;
      }
    },

    async revoke(id, o) {
      try {
        checkInput(id, o.actor);
        const { rows } = await db.query<{ key_id: string }>(
          `with r as (
             update secure_keys set revoked_at = now(), updated_at = now(), updated_by = $3
              where id = $1 and version_int = $2 and revoked_at is null returning id, version_int
           )
           insert into secure_keys_audit (key_id, version_int, action, actor, outcome)
           select id, version_int, 'revoke', $3, 'ok' from r returning key_id`,
          [id, o.expectedVersion, o.actor],
        );
        if (rows.length === 0) {
          const current = await db.query<{ version_int: number; revoked_at: Date | null }>(
            'select version_int, revoked_at from secure_keys where id = $1',
            [id],
          );
          const c = current.rows[0];
          if (!c) throw new VaultError('VAULT_NOT_FOUND', `no key ${id}`);
          if (c.revoked_at && c.version_int === o.expectedVersion)
            throw new VaultError('VAULT_REVOKED', `key ${id} is already revoked`);
          throw new VaultError(
            'VAULT_CONFLICT',
            `key ${id} is at version ${c.version_int}, not ${o.expectedVersion}`,
            {
              currentVersion: c.version_int,
            },
          );
        }
      } catch (error) {
        if (error instanceof VaultError) return failed(id, o.expectedVersion, o.actor, error);
        throw error;
      }
    },

    async list() {
      const { rows } = await db.query<Row>(
        'select id, version_int, valid_from, expires_at, revoked_at, updated_at, updated_by from secure_keys order by id',
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
