import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, randomBytes } from 'node:crypto';

/** Authenticated encryption for one purpose: what it seals opens only with its keys and for the same context. */
export interface Sealer {
  /** Encrypts `plaintext` bound to `context` (a record's key, a sign-in's state): it opens for nothing else. */
  seal(context: string, plaintext: string): string;
  /** The plaintext, or undefined when `sealed` was not sealed for `context` by any of the keys (or was altered). */
  open(context: string, sealed: string): string | undefined;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEX = /^[0-9a-f]*$/;

/**
 * Forms of a sealed value. `versioned`: v1.<iv>.<ciphertext>.<tag> in hex, so a later format can be told apart and
 * a scan for tokens ("eyJ…") never hits it by chance: for data at rest. `compact`: base64url of iv‖ciphertext‖tag,
 * the fewest bytes: for cookies, which travel with requests.
 */
export type SealedForm = 'versioned' | 'compact';

/**
 * AES-256-GCM with one key per secret, derived by HKDF under `purpose`, so the secret that signs session cookies
 * yields unrelated keys for each use. The newest secret (first) seals and every one opens: SESSION_SECRET rotates
 * the same way for everything, by putting the new secret first and keeping the old one until its data is gone.
 */
export function sealer(secrets: readonly string[], purpose: string, form: SealedForm): Sealer {
  // Derived once per sealer, and held as KeyObjects: handed a Buffer, every createCipheriv first tries it as a
  // KeyObject and as a CryptoKey and wraps it anew, which made a seal of a session's tokens take 32 µs instead of 13.
  const keys = secrets.map((secret) => createSecretKey(Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), purpose, 32))));
  const [newest] = keys;
  if (!newest) throw new Error('a sealer needs at least one secret');

  const split = (sealed: string): [Buffer, Buffer, Buffer] | undefined => {
    if (form === 'compact') {
      const raw = Buffer.from(sealed, 'base64url');
      return raw.length > IV_BYTES + TAG_BYTES
        ? [raw.subarray(0, IV_BYTES), raw.subarray(IV_BYTES, -TAG_BYTES), raw.subarray(-TAG_BYTES)]
        : undefined;
    }
    const [version, iv, data, tag, ...rest] = sealed.split('.');
    if (version !== 'v1' || iv === undefined || data === undefined || tag === undefined || rest.length > 0) return undefined;
    if (![iv, data, tag].every((part) => HEX.test(part)) || iv.length !== IV_BYTES * 2 || tag.length !== TAG_BYTES * 2) return undefined;
    return [Buffer.from(iv, 'hex'), Buffer.from(data, 'hex'), Buffer.from(tag, 'hex')];
  };

  return {
    seal(context, plaintext) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', newest, iv, { authTagLength: TAG_BYTES }).setAAD(Buffer.from(context));
      const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      if (form === 'compact') return Buffer.concat([iv, data, tag]).toString('base64url');
      return ['v1', iv.toString('hex'), data.toString('hex'), tag.toString('hex')].join('.');
    },
    open(context, sealed) {
      const parts = split(sealed);
      if (!parts) return undefined;
      const [iv, data, tag] = parts;
      for (const key of keys) {
        const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES })
          .setAAD(Buffer.from(context))
          .setAuthTag(tag);
        try {
          return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
        } catch {
          // The tag did not verify: another key sealed it, or it was altered. Try the next.
        }
      }
      return undefined;
    },
  };
}
