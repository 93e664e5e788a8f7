import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Tokens at rest: whoever reads the store's files (a backup, a copied DATA_DIR, a Redis dump) must not find a
 * usable token in them. AES-256-GCM, with keys derived from SESSION_SECRET, so there is no second secret to manage.
 */
export interface TokenCipher {
  /** Encrypts `plaintext` for the record named `context`: a sealed value moved to another record does not open. */
  seal(context: string, plaintext: string): string;
  /** The plaintext, or undefined when `sealed` was not sealed for `context` by any of this cipher's keys (or was altered). */
  open(context: string, sealed: string): string | undefined;
}

// The sealed form names its format first, so a later one (another algorithm, a key id) can be told apart and the
// old one still opened: v1.<iv>.<ciphertext>.<tag>, each hex. Hex, not base64: a sealed value cannot contain
// "eyJ" or anything else a scan for JWTs and tokens would flag.
const VERSION = 'v1';
// Binds the keys to this one use: the same secret also signs session cookies, and must yield unrelated keys for anything else.
const HKDF_INFO = 'lzc-oidc tokens at rest: AES-256-GCM v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEX = /^[0-9a-f]*$/;

/**
 * One key per secret, newest (first) encrypting and every one decrypting, so SESSION_SECRET rotates the same way for
 * tokens as for cookies: put the new secret first, keep the old one until the sessions it sealed have ended.
 */
export function tokenCipher(secrets: readonly string[]): TokenCipher {
  const keys = secrets.map((secret) => Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), HKDF_INFO, 32)));
  const [newest] = keys;
  if (!newest) throw new Error('tokenCipher needs at least one secret');

  const openWith = (key: Buffer, context: string, iv: Buffer, data: Buffer, tag: Buffer): string | undefined => {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES }).setAAD(Buffer.from(context)).setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
    } catch {
      // The tag did not verify: another key sealed it, or it was altered.
      return undefined;
    }
  };

  return {
    seal(context, plaintext) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', newest, iv, { authTagLength: TAG_BYTES }).setAAD(Buffer.from(context));
      const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [VERSION, iv.toString('hex'), data.toString('hex'), cipher.getAuthTag().toString('hex')].join('.');
    },
    open(context, sealed) {
      const [version, iv, data, tag, ...rest] = sealed.split('.');
      if (version !== VERSION || iv === undefined || data === undefined || tag === undefined || rest.length > 0) return undefined;
      if (![iv, data, tag].every((part) => HEX.test(part)) || iv.length !== IV_BYTES * 2 || tag.length !== TAG_BYTES * 2) return undefined;
      const parts = [Buffer.from(iv, 'hex'), Buffer.from(data, 'hex'), Buffer.from(tag, 'hex')] as const;
      for (const key of keys) {
        const plaintext = openWith(key, context, ...parts);
        if (plaintext !== undefined) return plaintext;
      }
      return undefined;
    },
  };
}
