import { createHash } from 'node:crypto';
import { decodeProtectedHeader, EncryptJWT, errors, jwtDecrypt, type JWTPayload } from 'jose';
import { MAX_SEALED_LENGTH } from './sizes.js';

/**
 * Everything the authorization server hands out is sealed, so it keeps no state: a compact JWE
 * (`alg: dir`, `enc: A256GCM`, made and opened by jose) under one of OAUTH_SECRETS. The first
 * secret seals, every listed secret opens (by `kid`), so a secret can be retired slowly. Each kind
 * has its own `typ`, which is authenticated with the content: one kind never opens as another.
 */
export type SealedKind = 'client' | 'consent' | 'code' | 'access' | 'refresh';

const TYP_PREFIX = 'flux-mcp/';
const TYP: Record<SealedKind, string> = {
  client: `${TYP_PREFIX}client`,
  consent: `${TYP_PREFIX}consent`,
  code: `${TYP_PREFIX}code`,
  access: `${TYP_PREFIX}access-token`,
  refresh: `${TYP_PREFIX}refresh-token`,
};

/** Five base64url segments: the shape of a compact JWE. */
const COMPACT_JWE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const CLOCK_TOLERANCE_SECONDS = 5;

export type OpenFailure = 'expired' | 'not_yet_valid' | 'unknown_secret' | 'wrong_audience' | 'invalid';
export type Opened<T> = { readonly ok: true; readonly claims: T & RegisteredClaims } | { readonly ok: false; readonly reason: OpenFailure };

interface RegisteredClaims {
  readonly iss: string;
  readonly iat: number;
  readonly exp?: number;
  readonly aud?: string;
}

/** The `kid` of a secret: 8 bytes of its SHA-256, enough to pick the key and useless for anything else. */
function keyId(secret: Uint8Array): string {
  return createHash('sha256').update(secret).digest().subarray(0, 8).toString('base64url');
}

/**
 * Whether `value` has the shape of an access token this service issues (a compact JWE whose
 * header names one of our kinds), as opposed to a raw API key. Checks the shape only; whether
 * it opens is for `Sealer.open`.
 */
export function looksSealed(value: string): boolean {
  if (value.length > MAX_SEALED_LENGTH || !COMPACT_JWE.test(value)) return false;
  try {
    const header = decodeProtectedHeader(value);
    return header.alg === 'dir' && typeof header.typ === 'string' && header.typ.startsWith(TYP_PREFIX) && typeof header.kid === 'string';
  } catch {
    return false;
  }
}

export class Sealer {
  readonly #issuer: string;
  readonly #current: { readonly kid: string; readonly key: Uint8Array };
  readonly #byKid: ReadonlyMap<string, Uint8Array>;

  /** `secrets` are base64url 32-byte keys, already validated by the configuration. */
  constructor(secrets: readonly string[], issuer: string) {
    const keys = secrets.map((text) => {
      const key = new Uint8Array(Buffer.from(text, 'base64url'));
      if (key.length !== 32) throw new Error('an OAuth secret must be 32 bytes');
      return { kid: keyId(key), key };
    });
    if (keys.length === 0) throw new Error('at least one OAuth secret is needed');
    this.#issuer = issuer;
    this.#current = keys[0]!;
    this.#byKid = new Map(keys.map(({ kid, key }) => [kid, key]));
  }

  /** Seals `claims` as `kind`, valid until `expiresAt` (seconds since the epoch) when given. */
  async seal(kind: SealedKind, claims: JWTPayload, expiresAt?: number): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const jwt = new EncryptJWT(claims)
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: this.#current.kid, typ: TYP[kind] })
      .setIssuer(this.#issuer)
      .setIssuedAt(now)
      .setNotBefore(now);
    if (expiresAt !== undefined) jwt.setExpirationTime(expiresAt);
    return jwt.encrypt(this.#current.key);
  }

  /**
   * The claims of a sealed `kind`, or why it does not open: expired, not yet valid, sealed by
   * a secret no longer listed, meant for another audience, or anything else (forged, tampered,
   * another kind, another issuer). `audience`, when given, must equal the sealed `aud`.
   */
  async open<T extends object>(kind: SealedKind, token: string, audience?: string): Promise<Opened<T>> {
    if (token.length > MAX_SEALED_LENGTH || !COMPACT_JWE.test(token)) return { ok: false, reason: 'invalid' };
    let unknownKey = false;
    try {
      const { payload } = await jwtDecrypt(
        token,
        (header) => {
          const key = header.kid === undefined ? undefined : this.#byKid.get(header.kid);
          if (key === undefined) {
            unknownKey = true;
            throw new Error('no such key');
          }
          return key;
        },
        {
          issuer: this.#issuer,
          typ: TYP[kind],
          keyManagementAlgorithms: ['dir'],
          contentEncryptionAlgorithms: ['A256GCM'],
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          ...(audience !== undefined ? { audience } : {}),
        },
      );
      return { ok: true, claims: payload as unknown as T & RegisteredClaims };
    } catch (error) {
      if (unknownKey) return { ok: false, reason: 'unknown_secret' };
      if (error instanceof errors.JWTExpired) return { ok: false, reason: 'expired' };
      if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'nbf') return { ok: false, reason: 'not_yet_valid' };
      if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'aud') return { ok: false, reason: 'wrong_audience' };
      return { ok: false, reason: 'invalid' };
    }
  }
}
