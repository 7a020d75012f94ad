/**
 * The sandbox proxy of the MCP Apps specification: a page on another origin than the host, served
 * with the view's CSP as an HTTP header. It announces itself, writes the HTML it is sent into an
 * inner frame (which inherits its origin and CSP), and relays every other message both ways.
 */
const READY = 'ui/notifications/sandbox-proxy-ready';
const RESOURCE = 'ui/notifications/sandbox-resource-ready';

const hostOrigin = new URL(document.referrer).origin;
const inner = document.createElement('iframe');
inner.setAttribute('sandbox', 'allow-scripts allow-same-origin');
inner.title = 'Flux tasks';
document.body.append(inner);

window.addEventListener('message', (event) => {
  if (event.source === window.parent && event.origin === hostOrigin) {
    const data = event.data as { method?: string; params?: { html?: unknown } };
    if (data?.method === RESOURCE) {
      if (typeof data.params?.html !== 'string') return;
      const document = inner.contentDocument!;
      document.open();
      document.write(data.params.html);
      document.close();
      return;
    }
    inner.contentWindow?.postMessage(event.data, '*');
  } else if (event.source === inner.contentWindow) {
    window.parent.postMessage(event.data, hostOrigin);
  }
});

window.parent.postMessage({ jsonrpc: '2.0', method: READY, params: {} }, hostOrigin);
