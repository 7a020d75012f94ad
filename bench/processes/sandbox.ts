/**
 * The sandbox Flux API as a process of its own, for the benchmarks. Prints one JSON line:
 * {"url": ..., "keys": [...], "ids": [...]} with BENCH_KEYS keys and BENCH_TASKS settled tasks
 * (2 images each) under the first key. Tasks made through POST /flux/images settle after
 * GENERATION_MS.
 */
import { FluxSandbox } from '../../src/sandbox/fluxSandbox.js';

const keys = Array.from({ length: Number(process.env.BENCH_KEYS ?? 1) }, (_, i) => `bench-key-${String(i).padStart(4, '0')}`);
const sandbox = await FluxSandbox.start({ recordRequests: false, generationMs: Number(process.env.GENERATION_MS ?? 8_000) });
for (const key of keys) sandbox.addKey(key);
const ids = Array.from({ length: Number(process.env.BENCH_TASKS ?? 50) }, (_, i) =>
  sandbox.addTask(keys[0]!, { images: 2, prompt: `benchmark task ${i}`, ageMs: 60_000, settleAfterMs: 9_000 }),
);
process.stdout.write(`${JSON.stringify({ url: sandbox.url, keys, ids })}\n`);
process.on('SIGTERM', () => void sandbox.close().then(() => process.exit(0)));
