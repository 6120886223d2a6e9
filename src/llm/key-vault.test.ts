import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CogoError } from '../core/index.ts';
import { parseMasterKey, VaultError } from './key-vault.ts';

function rejection(value: string): VaultError {
  try {
    parseMasterKey(value);
  } catch (error) {
    expect(error).toBeInstanceOf(VaultError);
    expect(error).toBeInstanceOf(CogoError);
    expect((error as VaultError).code).toBe('VAULT_MASTER_KEY_INVALID');
    if (typeof value === 'string' && value.trim() !== '')
      expect((error as Error).message).not.toContain(value.trim());
    return error as VaultError;
  }
  throw new Error('parseMasterKey accepted a bad key');
}

describe('parseMasterKey', () => {
  const bytes = randomBytes(32);
  const decoded = (value: string) => Buffer.from(parseMasterKey(value));

  it('takes 64 hex digits in either case', () => {
    expect(decoded(bytes.toString('hex'))).toEqual(bytes);
    expect(decoded(bytes.toString('hex').toUpperCase())).toEqual(bytes);
  });

  it('takes base64, padded or not, standard or URL-safe', () => {
    const b64 = bytes.toString('base64');
    expect(b64).toHaveLength(44);
    expect(decoded(b64)).toEqual(bytes);
    expect(decoded(b64.replace(/=$/, ''))).toEqual(bytes);
    expect(decoded(bytes.toString('base64url'))).toEqual(bytes);
  });

  it('ignores surrounding whitespace, as a value pasted into an env file has', () => {
    expect(decoded(`  ${bytes.toString('hex')}\n`)).toEqual(bytes);
  });

  it('returns a Uint8Array of 32 bytes', () => {
    const key = parseMasterKey(bytes.toString('hex'));
    expect(key).toBeInstanceOf(Uint8Array);
    expect(key).toHaveLength(32);
  });

  it.each([16, 31, 33, 64])('rejects %i bytes, as hex and as base64', (n) => {
    const other = randomBytes(n);
    rejection(other.toString('hex'));
    rejection(other.toString('base64'));
  });

  it('rejects an empty or blank value', () => {
    expect(rejection('').message).toMatch(/32 bytes/);
    rejection('   ');
  });

  it('rejects characters outside the base64 alphabet, which a lenient decoder would skip', () => {
    const b64 = bytes.toString('base64');
    // Buffer.from(..., 'base64') decodes both of these to the same 32 bytes.
    rejection(`${b64.slice(0, 20)}!!${b64.slice(20)}`);
    rejection(`${b64.slice(0, 20)} ${b64.slice(20)}`);
    rejection(`0x${bytes.toString('hex')}`);
  });

  it('rejects base64 whose last character carries stray bits', () => {
    const url = bytes.toString('base64url');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    // 43 characters carry 258 bits: the last two must be zero for 32 bytes.
    const last = alphabet.indexOf(url.at(-1)!);
    const stray = `${url.slice(0, -1)}${alphabet[last | 1]}`;
    expect(Buffer.from(stray, 'base64url')).toEqual(bytes);
    expect(rejection(stray).message).toMatch(/canonical/);
  });

  it('rejects a value that is not a string', () => {
    rejection(undefined as unknown as string);
  });

  it('never echoes the value, or any long piece of it, in the message', () => {
    const bad = randomBytes(31).toString('hex');
    const { message } = rejection(bad);
    for (let i = 0; i + 8 <= bad.length; i++) expect(message).not.toContain(bad.slice(i, i + 8));
  });
});
