import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { withoutBrackets } from '../http/hostOrigin.js';
import { acceptableRedirectUri } from './redirectUris.js';
import { clientName, MAX_CLIENT_ID_URL_LENGTH, MAX_REDIRECT_URIS } from './sizes.js';

/**
 * Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document): a client whose
 * `client_id` is an https URL publishes its metadata there, and the authorization server fetches
 * it. That fetch is made to a URL a stranger chose, so it is fenced in: https only, public
 * addresses only (checked when the name resolves and again on the connected socket), no
 * redirects, at most 5 KiB, at most 5 s, 200 with JSON only. Good documents are cached as their
 * Cache-Control says, within 1 minute and 1 day; failures are never cached.
 */
export interface ClientMetadataDocument {
  readonly clientId: string;
  readonly clientName: string | undefined;
  readonly redirectUris: readonly string[];
}

export interface ClientMetadataOptions {
  /**
   * Tests only, never set by configuration: extra CA certificates (PEM) to trust, and loopback
   * addresses accepted for documents, so a test can serve one from a loopback https server
   * (the draft allows loopback when the authorization server itself runs there).
   */
  readonly testFixture?: { readonly extraCa: string; readonly allowLoopback: true };
  readonly timeoutMs?: number;
}

export type ClientMetadataFailure =
  | 'invalid_url'
  | 'forbidden_address'
  | 'unreachable'
  | 'timeout'
  | 'bad_status'
  | 'not_json'
  | 'too_large'
  | 'invalid_document';

export class ClientMetadataError extends Error {
  override readonly name = 'ClientMetadataError';
  constructor(
    readonly reason: ClientMetadataFailure,
    message: string,
  ) {
    super(message);
  }
}

const MAX_BYTES = 5 * 1024;
const DEFAULT_TIMEOUT_MS = 5_000;
const MIN_CACHE_SECONDS = 60;
const MAX_CACHE_SECONDS = 86_400;
const DEFAULT_CACHE_SECONDS = 300;
const MAX_CACHED = 1_000;
/** RFC 1035: the longest name DNS can resolve (the consent form carries the host). */
const MAX_DNS_NAME_LENGTH = 253;

/** Special-use address blocks (RFC 6890 and the IANA registries): nothing a public client lives at. */
const SPECIAL_USE = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  SPECIAL_USE.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['::', 96],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  SPECIAL_USE.addSubnet(network, prefix, 'ipv6');
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Whether `address` (an IP literal) is one flux-mcp may fetch a client's document from. */
export function publicAddress(address: string, allowLoopback = false): boolean {
  const bare = withoutBrackets(address).toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(bare)?.[1];
  const ip = mapped ?? bare;
  const family = isIP(ip);
  if (family === 0) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (allowLoopback && LOOPBACK.check(ip, type)) return true;
  return !SPECIAL_USE.check(ip, type);
}

function forbidden(host: string): ClientMetadataError {
  return new ClientMetadataError('forbidden_address', `${host} is not a public internet address`);
}

/** A DNS lookup that answers only with public addresses: a name resolving elsewhere is refused before any connection. */
function publicLookup(allowLoopback: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) {
        callback(error, '', 0);
        return;
      }
      const usable = (addresses as LookupAddress[]).filter((entry) => publicAddress(entry.address, allowLoopback));
      if (usable.length === 0) {
        callback(forbidden(hostname), '', 0);
        return;
      }
      if (options.all) (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, usable);
      else callback(null, usable[0]!.address, usable[0]!.family);
    });
  };
}

/** Checks the peer of every connection once it is made: what DNS answered at lookup is not trusted alone. */
function guardedConnector(allowLoopback: boolean, extraCa: string | undefined, timeoutMs: number): buildConnector.connector {
  const connect = buildConnector({ timeout: timeoutMs, lookup: publicLookup(allowLoopback), ...(extraCa ? { ca: extraCa } : {}) });
  return (options, callback) => {
    connect(options, (error, socket) => {
      if (error) {
        callback(error, null);
        return;
      }
      if (!publicAddress(socket.remoteAddress ?? '', allowLoopback)) {
        socket.destroy();
        callback(forbidden(options.hostname), null);
        return;
      }
      callback(null, socket);
    });
  };
}

/** Seconds a document may be cached, from its Cache-Control, within the bounds. */
function cacheSeconds(cacheControl: string | string[] | undefined): number {
  const text = Array.isArray(cacheControl) ? cacheControl.join(',') : (cacheControl ?? '');
  if (/\b(no-store|no-cache)\b/i.test(text)) return MIN_CACHE_SECONDS;
  const maxAge = /\bmax-age=(\d+)/i.exec(text)?.[1];
  const seconds = maxAge === undefined ? DEFAULT_CACHE_SECONDS : Number(maxAge);
  return Math.min(MAX_CACHE_SECONDS, Math.max(MIN_CACHE_SECONDS, seconds));
}

/** The URL of a client id that names a metadata document, or a ClientMetadataError. */
function documentUrl(clientId: string, allowLoopback: boolean): URL {
  if (clientId.length > MAX_CLIENT_ID_URL_LENGTH) {
    throw new ClientMetadataError('invalid_url', `a client_id URL must be at most ${MAX_CLIENT_ID_URL_LENGTH} characters long`);
  }
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    throw new ClientMetadataError('invalid_url', 'the client_id is not a URL');
  }
  if (url.protocol !== 'https:') throw new ClientMetadataError('invalid_url', 'a client_id URL must use https');
  if (url.pathname === '/' || url.hash || clientId.includes('#') || url.username || url.password) {
    throw new ClientMetadataError('invalid_url', 'a client_id URL needs a path, and no fragment or credentials');
  }
  // One document, one id: a spelling the URL parser rewrites (dot segments, also percent-encoded,
  // an uppercase host, a default port...) would name the same document as another client_id.
  if (url.href !== clientId) {
    throw new ClientMetadataError(
      'invalid_url',
      'a client_id URL must be in canonical form (lowercase scheme and host, no default port, no dot segments), exactly as a URL parser writes it',
    );
  }
  if (url.hostname.length > MAX_DNS_NAME_LENGTH) throw new ClientMetadataError('invalid_url', 'the host of a client_id URL is longer than a DNS name can be');
  const host = withoutBrackets(url.hostname);
  if (isIP(host) !== 0 && !publicAddress(host, allowLoopback)) throw forbidden(url.hostname);
  return url;
}

function validDocument(json: unknown, clientId: string): ClientMetadataDocument {
  const invalid = (why: string) => new ClientMetadataError('invalid_document', `the client metadata document ${why}`);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw invalid('is not a JSON object');
  const doc = json as Record<string, unknown>;
  if (doc.client_id !== clientId) throw invalid('names another client_id than its own URL');
  if ('client_secret' in doc || 'client_secret_expires_at' in doc) throw invalid('must not carry a client secret');
  if ((doc.token_endpoint_auth_method ?? 'none') !== 'none') throw invalid('must describe a public client (token_endpoint_auth_method "none")');
  const listed = Array.isArray(doc.redirect_uris) ? doc.redirect_uris.slice(0, MAX_REDIRECT_URIS) : [];
  const redirectUris = listed.filter((uri): uri is string => typeof uri === 'string' && acceptableRedirectUri(uri));
  if (redirectUris.length === 0) throw invalid('lists no usable redirect_uris (https, or http on localhost)');
  return { clientId, clientName: clientName(doc.client_name), redirectUris };
}

export class ClientMetadataDocuments {
  readonly #agent: Agent;
  readonly #allowLoopback: boolean;
  readonly #timeoutMs: number;
  readonly #cache = new Map<string, { readonly document: ClientMetadataDocument; readonly until: number }>();

  constructor(options: ClientMetadataOptions = {}) {
    this.#allowLoopback = options.testFixture?.allowLoopback === true;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#agent = new Agent({
      connect: guardedConnector(this.#allowLoopback, options.testFixture?.extraCa, this.#timeoutMs),
      connections: 8,
      keepAliveTimeout: 5_000,
    });
  }

  /** The document a client id names, from the cache or fetched now; throws a ClientMetadataError. */
  async get(clientId: string): Promise<ClientMetadataDocument> {
    const cached = this.#cache.get(clientId);
    if (cached && cached.until > Date.now()) return cached.document;
    this.#cache.delete(clientId);
    const url = documentUrl(clientId, this.#allowLoopback);
    const { document, seconds } = await this.#fetch(url, clientId);
    if (this.#cache.size >= MAX_CACHED) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(clientId, { document, until: Date.now() + seconds * 1000 });
    return document;
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  async #fetch(url: URL, clientId: string): Promise<{ document: ClientMetadataDocument; seconds: number }> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    let response: Awaited<ReturnType<Agent['request']>>;
    try {
      response = await this.#agent.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: 'GET',
        headers: { accept: 'application/json' },
        signal,
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
      });
    } catch (error) {
      throw this.#failure(error, url, signal);
    }
    const { statusCode, headers, body } = response;
    try {
      if (statusCode !== 200) throw new ClientMetadataError('bad_status', `${url.host} answered HTTP ${statusCode} for the client metadata document`);
      const type = String(headers['content-type'] ?? '');
      if (!/^application\/([\w.+-]*\+)?json\s*(;|$)/i.test(type)) throw new ClientMetadataError('not_json', 'the client metadata document is not JSON');
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of body) {
        size += (chunk as Buffer).length;
        if (size > MAX_BYTES) throw new ClientMetadataError('too_large', `the client metadata document is larger than ${MAX_BYTES} bytes`);
        chunks.push(chunk as Buffer);
      }
      let json: unknown;
      try {
        json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        throw new ClientMetadataError('not_json', 'the client metadata document is not valid JSON');
      }
      return { document: validDocument(json, clientId), seconds: cacheSeconds(headers['cache-control']) };
    } catch (error) {
      throw this.#failure(error, url, signal);
    } finally {
      // What was not read is dropped; destroying an unread body makes it emit an error nobody needs.
      body.on('error', () => undefined).destroy();
    }
  }

  #failure(error: unknown, url: URL, signal: AbortSignal): ClientMetadataError {
    if (error instanceof ClientMetadataError) return error;
    const cause = (error as { cause?: unknown })?.cause;
    if (cause instanceof ClientMetadataError) return cause;
    if (signal.aborted || (error as { code?: string })?.code?.includes('TIMEOUT')) {
      return new ClientMetadataError('timeout', `${url.host} did not send the client metadata document in time`);
    }
    return new ClientMetadataError('unreachable', `could not fetch the client metadata document from ${url.host}`);
  }
}
