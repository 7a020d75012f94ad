import assert from 'node:assert/strict';
import { test } from 'node:test';
import { INTERRUPTED, OpenCalls } from '../../src/mcp/openCalls.js';

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

test('calls that end leave the registry, whatever their order; shutdown answers only those still open', async () => {
  const calls = new OpenCalls();
  const works = Array.from({ length: 5 }, () => deferred<string>());
  const answers = works.map((work) => calls.run(() => work.promise));
  assert.equal(calls.size, 5);

  works[2]!.resolve('middle');
  works[0]!.resolve('first');
  works[4]!.reject(new Error('last failed'));
  assert.equal(await answers[2], 'middle');
  assert.equal(await answers[0], 'first');
  await assert.rejects(answers[4]!, /last failed/);
  assert.equal(calls.size, 2);

  assert.equal(calls.interruptAll(), 2);
  assert.equal(calls.size, 0);
  assert.equal(await answers[1], INTERRUPTED);
  assert.equal(await answers[3], INTERRUPTED);

  // Work that ends after the interruption changes nothing, and later calls are answered at once.
  works[1]!.resolve('too late');
  assert.equal(calls.size, 0);
  assert.equal(await calls.run(() => new Promise<string>(() => undefined)), INTERRUPTED);
  assert.equal(calls.interruptAll(), 0);
});
