import autocannon from 'autocannon';

/** One request of a scenario, with the check its answer must pass. */
export interface LoadStep {
  readonly body: string;
  readonly headers: Record<string, string>;
  /** Returns undefined for a correct answer, or what is wrong with it. */
  readonly check: (status: number, body: string) => string | undefined;
}

export interface LoadOptions {
  readonly url: string;
  /** Sent in this order on every connection, over and over: one request, or a whole session. */
  readonly steps: readonly LoadStep[];
  readonly connections: number;
  /** Seconds to run, unless `amount` is given. */
  readonly duration?: number;
  /** Number of requests to make, instead of running for a time. */
  readonly amount?: number;
}

export interface LoadResult {
  /** Requests answered. */
  readonly total: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  /** Transport errors, timeouts, non-2xx answers and wrong answers, together. */
  readonly errors: number;
  readonly wrong: number;
  readonly firstWrong: string | undefined;
}

/** Drives one endpoint with autocannon and checks every single answer. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  let wrong = 0;
  let firstWrong: string | undefined;
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    pipelining: 1,
    ...(options.amount ? { amount: options.amount } : { duration: options.duration ?? 5 }),
    requests: options.steps.map((step) => ({
      method: 'POST' as const,
      headers: step.headers,
      body: step.body,
      onResponse: (status: number, body: string) => {
        const problem = step.check(status, body);
        if (problem !== undefined) {
          wrong++;
          firstWrong ??= `${problem}: ${body.slice(0, 300)}`;
        }
      },
    })),
  });
  return {
    total: result.requests.total,
    perSecond: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx + wrong,
    wrong,
    firstWrong,
  };
}
