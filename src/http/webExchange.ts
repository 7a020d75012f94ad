import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Thin glue between Node's request/response and the web Request/Response the SDK's handlers
 * take and give. The body has been parsed already (and goes to the SDK as `parsedBody`), so the
 * Request carries headers only; a JSON answer is written in one piece, an event stream chunk by
 * chunk as it comes. It does what @modelcontextprotocol/node's adapters do, minus re-serialising
 * the parsed body and the stream machinery for answers that are not streams (see BENCHMARKS.md).
 */

/** A web Request with the method, URL and headers of `req`, aborted when the client goes away. */
export function webRequestOf(req: IncomingMessage, res: ServerResponse): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name.startsWith(':')) continue;
    if (typeof value === 'string') headers.set(name, value);
    else for (const item of value) headers.append(name, item);
  }
  const gone = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) gone.abort();
  });
  return new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, { method: req.method, headers, signal: gone.signal });
}

function isEventStream(response: Response): boolean {
  return response.headers.get('content-type')?.startsWith('text/event-stream') ?? false;
}

/** Writes `response` to `res`: status, headers and body, honouring back-pressure for event streams. */
export async function sendWebResponse(res: ServerResponse, response: Response): Promise<void> {
  if (res.destroyed) {
    await response.body?.cancel().catch(() => undefined);
    return;
  }
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  if (response.body === null) {
    res.writeHead(response.status, headers).end();
    return;
  }
  if (!isEventStream(response)) {
    const body = Buffer.from(await response.arrayBuffer());
    delete headers['transfer-encoding'];
    headers['content-length'] = String(body.length);
    res.writeHead(response.status, headers).end(body);
    return;
  }
  res.writeHead(response.status, headers);
  res.flushHeaders();
  const reader = response.body.getReader();
  const stop = () => void reader.cancel().catch(() => undefined);
  res.once('close', stop);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || res.destroyed) break;
      if (!res.write(value)) await new Promise<void>((resolve) => res.once('drain', resolve).once('close', resolve));
    }
  } catch {
    // The stream was cancelled because the client left; nothing is left to write.
  } finally {
    res.off('close', stop);
    if (!res.destroyed) res.end();
  }
}
