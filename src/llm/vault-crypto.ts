/**
 * The key vault's cryptography, without storage: keys derived from the master key (HKDF-SHA256, one
 * info string per purpose), AES-256-GCM sealing bound to a key id and version, and the HMAC checksum.
 */
import { Buffer } from 'node:buffer';
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

export const MASTER_KEY_BYTES = 32;
const SALT_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;
// One HKDF info per purpose, so the data keys, the checksum key and the fingerprint are independent.
// The checksum is v2: v1 hashed `id:version` and the plaintext with no length prefix, so two
// (version, plaintext) pairs could share an input.
const INFO_DATA_KEY = 'cogo-vault data-key v1';
const INFO_CHECKSUM = 'cogo-vault checksum v2';
const INFO_FINGERPRINT = 'cogo-vault master-key-id v1';
const NO_SALT = Buffer.alloc(0);

/** Everything derived once from the master key. */
export interface VaultKeys {
  readonly master: Buffer;
  readonly checksumKey: Buffer;
  /** `master_key_id`: names the master key, reveals nothing usable about it. */
  readonly fingerprint: string;
}

/** What is stored for one version of a key, besides its metadata. */
export interface Sealed {
  readonly ciphertext: Uint8Array;
  readonly iv: Uint8Array;
  readonly authTag: Uint8Array;
  readonly salt: Uint8Array;
  /** HMAC-SHA256 of (id, version, plaintext), hex. */
  readonly checksum: string;
}

/** `open`'s answer: the plaintext (the caller zeroes it), or why it failed, never with the secret. */
export type Opened =
  | { readonly ok: true; readonly plaintext: Buffer }
  | { readonly ok: false; readonly why: string; readonly cause?: unknown };

const hkdf = (master: Uint8Array, salt: Uint8Array, info: string, bytes = 32): Buffer =>
  Buffer.from(hkdfSync('sha256', master, salt, info, bytes));

/** Derives the checksum key and the fingerprint; copies the master key (callers may zero theirs). */
export function deriveVaultKeys(masterKey: Uint8Array): VaultKeys {
  const master = Buffer.from(masterKey);
  return {
    master,
    checksumKey: hkdf(master, NO_SALT, INFO_CHECKSUM),
    // Derived rather than a plain hash of the key; 8 bytes tell master keys apart.
    fingerprint: hkdf(master, NO_SALT, INFO_FINGERPRINT, 8).toString('hex'),
  };
}

// The cipher's associated data and the checksum's prefix: the id with its length, then the version.
// Self-delimiting, so no two (id, version, plaintext) triples share an encoding.
function binding(id: string, version: number): Buffer {
  const idBytes = Buffer.from(id, 'utf8');
  const out = Buffer.alloc(8 + idBytes.length);
  out.writeUInt32BE(idBytes.length, 0);
  idBytes.copy(out, 4);
  out.writeUInt32BE(version, 4 + idBytes.length);
  return out;
}

const checksumOf = (keys: VaultKeys, id: string, version: number, plaintext: Uint8Array): Buffer =>
  createHmac('sha256', keys.checksumKey).update(binding(id, version)).update(plaintext).digest();

/** Encrypts `plaintext` as version `version` of key `id`, under a fresh salt and IV. */
export function seal(keys: VaultKeys, id: string, version: number, plaintext: Uint8Array): Sealed {
  const salt = randomBytes(SALT_BYTES);
  const iv = randomBytes(IV_BYTES);
  const dataKey = hkdf(keys.master, salt, INFO_DATA_KEY);
  try {
    const cipher = createCipheriv('aes-256-gcm', dataKey, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(binding(id, version));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const checksum = checksumOf(keys, id, version, plaintext).toString('hex');
    return { ciphertext, iv, authTag: cipher.getAuthTag(), salt, checksum };
  } finally {
    dataKey.fill(0);
  }
}

/** Decrypts and verifies what `seal` made for the same id and version under the same master key. */
export function open(keys: VaultKeys, id: string, version: number, sealed: Sealed): Opened {
  const { salt, iv, authTag } = sealed;
  // A fixed tag length: GCM would otherwise accept a truncated tag, which is easier to forge.
  if (salt.length !== SALT_BYTES || iv.length !== IV_BYTES || authTag.length !== TAG_BYTES)
    return { ok: false, why: 'has a malformed salt, iv or auth tag' };
  const dataKey = hkdf(keys.master, salt, INFO_DATA_KEY);
  let plaintext: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', dataKey, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(binding(id, version));
    decipher.setAuthTag(authTag);
    plaintext = Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]);
  } catch (cause) {
    return { ok: false, why: 'failed authentication', cause };
  } finally {
    dataKey.fill(0);
  }
  const expected = checksumOf(keys, id, version, plaintext);
  const stored = Buffer.from(sealed.checksum, 'hex');
  if (stored.length !== expected.length || !timingSafeEqual(stored, expected)) {
    plaintext.fill(0);
    return { ok: false, why: 'failed its checksum' };
  }
  return { ok: true, plaintext };
}
