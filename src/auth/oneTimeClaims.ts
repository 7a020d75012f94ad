/**
 * Single use without state of its own: an authorization code or a refresh token is honoured only
 * by the first request that claims its id. The service backs this with its shared state: in
 * this process, or on Redis across replicas (REDIS_URL).
 */
export interface OneTimeClaims {
  /**
   * True for the first claim of `id` within `ttlMs`, false for every later one. A store that
   * cannot answer should throw: the caller then refuses instead of issuing twice.
   */
  claim(id: string, ttlMs: number): Promise<boolean>;
}
