import autocannon from 'autocannon';

export interface LoadOptions {
  readonly url: string;
  readonly body: string;
  readonly headers: Record<string, string>;
  readonly connections: number;
  /** Seconds to run, unless `amount` is given. */
  readonly duration?: number;
  /** Number of requests to make, instead of running for a time. */
  readonly amount?: number;
  /** Returns undefined for a correct answer, or what is wrong with it. */
  readonly check: (status: number, body: string) => string | undefined;
}

export interface LoadResult {
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
    requests: [
      {
        method: 'POST',
        headers: options.headers,
        body: options.body,
        onResponse: (status: number, body: string) => {
          const problem = options.check(status, body);
          if (problem !== undefined) {
            wrong++;
            firstWrong ??= `${problem}: ${body.slice(0, 300)}`;
          }
        },
      },
    ],
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
