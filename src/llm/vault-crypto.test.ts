import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveVaultKeys, open, type Sealed, seal } from './vault-crypto.ts';

const text = (s: string) => Buffer.from(s, 'utf8');
const keys = deriveVaultKeys(randomBytes(32));

function opened(id: string, version: number, sealed: Sealed): string {
  const r = open(keys, id, version, sealed);
  if (!r.ok) throw new Error(r.why);
  return r.plaintext.toString('utf8');
}
const why = (id: string, version: number, sealed: Sealed) => {
  const r = open(keys, id, version, sealed);
  return r.ok ? 'opened' : r.why;
};

describe('vault cryptography', () => {
  it('opens what it sealed, under a fresh salt and IV each time', () => {
    const a = seal(keys, 'openai', 1, text('sk-one'));
    const b = seal(keys, 'openai', 1, text('sk-one'));
    expect(opened('openai', 1, a)).toBe('sk-one');
    expect(Buffer.from(a.salt)).not.toEqual(Buffer.from(b.salt));
    expect(Buffer.from(a.iv)).not.toEqual(Buffer.from(b.iv));
    expect(Buffer.from(a.ciphertext)).not.toEqual(Buffer.from(b.ciphertext));
  });

  it('binds a ciphertext to its key id and version', () => {
    const sealed = seal(keys, 'openai', 3, text('sk-three'));
    expect(why('anthropic', 3, sealed)).toBe('failed authentication');
    expect(why('openai', 4, sealed)).toBe('failed authentication');
  });

  it('does not open under another master key', () => {
    const sealed = seal(keys, 'openai', 1, text('sk-one'));
    const other = deriveVaultKeys(randomBytes(32));
    expect(open(other, 'openai', 1, sealed)).toMatchObject({ ok: false, why: 'failed authentication' });
  });

  it('refuses a truncated auth tag, which GCM alone would take as a shorter valid tag', () => {
    const sealed = seal(keys, 'openai', 1, text('sk-one'));
    expect(why('openai', 1, { ...sealed, authTag: sealed.authTag.subarray(0, 12) })).toMatch(/malformed/);
  });

  it('checks the checksum after decrypting, and binds it to the id', () => {
    const a = seal(keys, 'a', 1, text('same secret'));
    const b = seal(keys, 'b', 1, text('same secret'));
    expect(why('a', 1, { ...a, checksum: b.checksum })).toBe('failed its checksum');
    expect(why('a', 1, { ...a, checksum: a.checksum.slice(0, 62) })).toBe('failed its checksum');
  });

  it('gives different checksums to inputs that only a length prefix tells apart', () => {
    // Without framing, ("a", 1, "2x") and ("a", 12, "x") would hash the same bytes "a:12x".
    expect(seal(keys, 'a', 1, text('2x')).checksum).not.toBe(seal(keys, 'a', 12, text('x')).checksum);
    expect(seal(keys, 'a:1', 2, text('x')).checksum).not.toBe(seal(keys, 'a', 1, text(':2x')).checksum);
  });

  it('fingerprints the master key with 16 hex digits that are not a plain hash of it', () => {
    const master = randomBytes(32);
    const { fingerprint } = deriveVaultKeys(master);
    expect(fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(deriveVaultKeys(master).fingerprint).toBe(fingerprint);
    expect(deriveVaultKeys(randomBytes(32)).fingerprint).not.toBe(fingerprint);
    expect(createHash('sha256').update(master).digest('hex')).not.toContain(fingerprint);
  });

  it('keeps its own copy of the master key', () => {
    const master = randomBytes(32);
    const own = deriveVaultKeys(master);
    const sealed = seal(own, 'openai', 1, text('sk-one'));
    master.fill(0);
    expect(open(own, 'openai', 1, sealed)).toMatchObject({ ok: true });
  });
});
