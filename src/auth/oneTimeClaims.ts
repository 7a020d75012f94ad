/**
 * Single use without state of its own. Each sign-in is a chain: its authorization code is step 0,
 * and each refresh token it leads to the next step. A step is honoured once, by the first request
 * that presents it; a step presented again revokes the chain, so a stolen refresh token dies with
 * the next use of either copy (RFC 9700 §4.14.2), and so do the tokens of a replayed code
 * (RFC 6749 §4.1.2). The service backs this with its shared state: in this process, or on Redis
 * across replicas (REDIS_URL).
 */
export interface OneTimeClaims {
  /**
   * True when `step` is where `chain` is (a chain not seen counts as anywhere), which moves it on
   * and keeps it `ttlMs`; false for a step used already, which revokes the chain. A store that
   * cannot tell should throw: the caller then refuses instead of honouring a step twice.
   */
  advance(chain: string, step: number, ttlMs: number): Promise<boolean>;
}
