/**
 * A lean stand-in for the Flux API, for throughput only: any id answers one fixed succeeded
 * record (2 images), `retrieve_batch` one such record per id asked. No keys, no state, no log:
 * it should cost as little as possible, so the figures show the proxy in front of it. Prints
 * {"url": ...} once listening.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const CREATED = 1_736_304_669.78;
function record(id: string): string {
  const quoted = JSON.stringify(id);
  return `{"id":${quoted},"type":"images","trace_id":"t","created_at":${CREATED},"started_at":${CREATED + 0.06},"finished_at":${CREATED + 9.66},"elapsed":9.6,"request":{"action":"generate","prompt":"a benchmark fox","model":"flux-dev","size":"1:1"},"response":{"success":true,"task_id":${quoted},"trace_id":"t","data":[{"prompt":"a benchmark fox","image_url":"https://platform2.cdn.acedata.cloud/flux/bench-1.png","seed":281520112,"timings":{"inference":3.19}},{"prompt":"a benchmark fox","image_url":"https://platform2.cdn.acedata.cloud/flux/bench-2.png","seed":281520113,"timings":{"inference":3.21}}]}}`;
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { action: string; id?: string; ids?: string[] };
    const text = body.action === 'retrieve_batch' ? `{"items":[${body.ids!.map(record).join(',')}],"count":${body.ids!.length}}` : record(body.id!);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
