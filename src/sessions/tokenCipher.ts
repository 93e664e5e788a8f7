import { sealer, type Sealer } from '../security/sealer.ts';

/**
 * Tokens at rest: whoever reads the store's files (a backup, a copied DATA_DIR, a Redis dump) must not find a
 * usable token in them. Sealed under each token record's key, so a sealed value moved to another record does not open.
 */
export type TokenCipher = Sealer;

export const tokenCipher = (secrets: readonly string[]): TokenCipher =>
  sealer(secrets, 'lzc-oidc tokens at rest: AES-256-GCM v1', 'versioned');
