import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Task } from '../../src/flux/task.js';
import { imageMimeType, successResult } from '../../src/mcp/result.js';
import { linkedImages } from '../../src/mcp/tools/taskSummary.js';

function succeeded(...urls: string[]): Task {
  return { task_id: 't', status: 'succeeded', images: urls.map((url) => ({ url })) };
}

describe('resource links to images', () => {
  it('names each link by file name and gives the MIME type its extension names', () => {
    const urls = [
      'https://platform2.cdn.acedata.cloud/flux/a.png',
      'https://platform2.cdn.acedata.cloud/flux/b.JPG?sig=x.png',
      'https://platform2.cdn.acedata.cloud/flux/c.jpeg#frag',
      'https://platform2.cdn.acedata.cloud/flux/d.webp',
      'https://platform2.cdn.acedata.cloud/flux/e',
      'https://platform2.cdn.acedata.cloud/',
    ];
    const result = successResult({ structured: {}, text: 'x', images: linkedImages([succeeded(...urls)]) });
    assert.deepEqual(result.content.slice(1), [
      { type: 'resource_link', uri: urls[0], name: 'a.png', mimeType: 'image/png' },
      { type: 'resource_link', uri: urls[1], name: 'b.JPG', mimeType: 'image/jpeg' },
      { type: 'resource_link', uri: urls[2], name: 'c.jpeg', mimeType: 'image/jpeg' },
      { type: 'resource_link', uri: urls[3], name: 'd.webp', mimeType: 'image/webp' },
      { type: 'resource_link', uri: urls[4], name: 'e' },
      { type: 'resource_link', uri: urls[5], name: urls[5] },
    ]);
  });

  it('knows the usual image formats and no others', () => {
    assert.deepEqual(
      ['x.png', 'x.gif', 'x.avif', 'x.svg', 'x.html', 'png'].map(imageMimeType),
      ['image/png', 'image/gif', 'image/avif', undefined, undefined, undefined],
    );
  });

  it('leaves a result without images as it was: the text alone', () => {
    assert.deepEqual(successResult({ structured: { a: 1 }, text: 'x' }), { content: [{ type: 'text', text: 'x' }], structuredContent: { a: 1 } });
    assert.deepEqual(successResult({ structured: { a: 1 }, text: 'x', images: linkedImages([succeeded()]) }).content.length, 1);
  });
});
