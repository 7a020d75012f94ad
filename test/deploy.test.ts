import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig, SETTINGS } from '../src/config.js';
import { startHarness, type Harness } from './helpers/harness.js';

const ROOT = new URL('..', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, ROOT), 'utf8');
const KNOWN_VARIABLES = new Set(Object.values(SETTINGS).map((setting) => setting.env));

type Doc = Record<string, any>;

function manifests(): Map<string, Doc> {
  const kustomization = parseAllDocuments(read('deploy/kubernetes/kustomization.yaml'))[0]!.toJS() as { resources: string[] };
  const byKind = new Map<string, Doc>();
  for (const file of kustomization.resources) {
    for (const doc of parseAllDocuments(read(`deploy/kubernetes/${file}`))) {
      const value = doc.toJS() as Doc;
      byKind.set(value.kind, value);
    }
  }
  return byKind;
}

describe('Kubernetes manifests match the code', () => {
  const docs = manifests();
  const configMap = docs.get('ConfigMap')!;
  const deployment = docs.get('Deployment')!;
  const container = deployment.spec.template.spec.containers[0];
  const port = (name: string) => container.ports.find((p: Doc) => p.name === name)?.containerPort;
  let harness: Harness;

  before(async () => {
    harness = await startHarness();
  });
  after(async () => {
    await harness.close();
  });

  it('has a ConfigMap, Deployment, Service and HorizontalPodAutoscaler', () => {
    assert.deepEqual([...docs.keys()].sort(), ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'Service']);
  });

  it('configures only variables the code knows, with values it accepts', () => {
    for (const name of Object.keys(configMap.data)) assert.ok(KNOWN_VARIABLES.has(name), `${name} is a configuration variable`);
    const config = loadConfig(configMap.data);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(container.envFrom[0].configMapRef.name, configMap.metadata.name);
  });

  it('takes OAUTH_SECRETS from an optional Secret whose example is not applied by kustomize', () => {
    const secretRef = container.envFrom.find((source: Doc) => source.secretRef)?.secretRef;
    assert.deepEqual(secretRef, { name: 'flux-mcp-oauth', optional: true }, 'the pod starts without it: header keys only');
    const [example] = parseAllDocuments(read('deploy/kubernetes/oauth-secret.example.yaml')).map((doc) => doc.toJS() as Doc);
    assert.equal(example!.kind, 'Secret');
    assert.equal(example!.metadata.name, secretRef.name);
    assert.deepEqual(Object.keys(example!.stringData), ['OAUTH_SECRETS']);
    assert.ok(!docs.has('Secret'), 'kubectl apply -k never overwrites the real Secret with the example');
    assert.ok(!('OAUTH_SECRETS' in configMap.data), 'no secret in the ConfigMap');
    assert.equal(loadConfig(configMap.data).publicUrl, undefined, 'as shipped: OAuth off');
    assert.throws(
      () => loadConfig({ ...configMap.data, PUBLIC_URL: 'https://flux-mcp.example.com', ...example!.stringData }),
      (error: unknown) => error instanceof ConfigError && /^OAUTH_SECRETS must list/.test(error.message),
      'the placeholder is refused, so the example cannot be deployed as it is',
    );
    const on = loadConfig({ ...configMap.data, PUBLIC_URL: 'https://flux-mcp.example.com', OAUTH_SECRETS: randomBytes(32).toString('base64url') });
    assert.equal(on.publicUrl, 'https://flux-mcp.example.com');
    for (const name of Object.keys(example!.stringData)) assert.ok(KNOWN_VARIABLES.has(name));
  });

  it('exposes the ports the configuration opens', () => {
    const config = loadConfig(configMap.data);
    assert.equal(port('http'), config.port);
    assert.equal(port('metrics'), config.metricsPort);
    assert.equal(Number(deployment.spec.template.metadata.annotations['prometheus.io/port']), config.metricsPort);
  });

  it('probes liveness on /healthz and readiness on /readyz, which the service serves', async () => {
    assert.deepEqual(container.livenessProbe.httpGet, { path: '/healthz', port: 'http' });
    assert.deepEqual(container.readinessProbe.httpGet, { path: '/readyz', port: 'http' });
    assert.equal(container.startupProbe.httpGet.path, '/healthz');
    for (const path of ['/healthz', '/readyz']) {
      assert.equal((await fetch(new URL(path, harness.service.url))).status, 200, path);
    }
  });

  it('has timeouts that add up: grace >= delay + drain + last answers and logs; upstream calls end inside the drain', () => {
    const config = loadConfig(configMap.data);
    assert.ok(config.shutdownDelaySeconds > 0, 'a readiness delay so load balancers move away first');
    // 1 s for the answers given at the drain deadline, 2 s for the last log lines.
    assert.ok(deployment.spec.template.spec.terminationGracePeriodSeconds >= config.shutdownDelaySeconds + config.shutdownTimeoutSeconds + 3);
    assert.ok(config.fluxRequestTimeoutSeconds <= config.shutdownTimeoutSeconds, 'one upstream attempt fits in the drain');
    assert.ok(config.fluxTotalTimeoutSeconds <= config.shutdownTimeoutSeconds, 'a whole upstream call fits in the drain');
  });

  it('offers a Redis the replicas share, wired to REDIS_URL', () => {
    const overlay = parseAllDocuments(read('deploy/kubernetes/with-redis/kustomization.yaml'))[0]!.toJS() as Doc;
    assert.deepEqual(overlay.resources, ['../', 'redis.yaml']);
    const patch = parseAllDocuments(overlay.patches[0].patch)[0]!.toJS() as Doc[];
    const redisUrl = patch.find((op) => op.path === '/data/REDIS_URL')!.value as string;
    const config = loadConfig({ ...configMap.data, REDIS_URL: redisUrl });
    assert.equal(config.redisUrl, redisUrl);
    const redisDocs = parseAllDocuments(read('deploy/kubernetes/with-redis/redis.yaml')).map((doc) => doc.toJS() as Doc);
    const service = redisDocs.find((doc) => doc.kind === 'Service')!;
    assert.equal(new URL(redisUrl).hostname, service.metadata.name);
    assert.equal(Number(new URL(redisUrl).port), service.spec.ports[0].port);
  });

  it('sets resources and a locked-down, non-root security context', () => {
    assert.ok(container.resources.requests.cpu && container.resources.requests.memory);
    assert.ok(container.resources.limits.cpu && container.resources.limits.memory);
    assert.equal(deployment.spec.template.spec.securityContext.runAsNonRoot, true);
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.deepEqual(container.securityContext.capabilities.drop, ['ALL']);
  });

  it('routes the Service to the http port and scales the Deployment', () => {
    const service = docs.get('Service')!;
    assert.equal(service.spec.ports[0].targetPort, 'http');
    assert.deepEqual(service.spec.selector, deployment.spec.selector.matchLabels);
    const hpa = docs.get('HorizontalPodAutoscaler')!;
    assert.equal(hpa.spec.scaleTargetRef.name, deployment.metadata.name);
    assert.ok(hpa.spec.minReplicas >= 2);
  });
});

describe('server.json for the MCP registry', () => {
  const server = JSON.parse(read('server.json')) as Doc;
  const pkg = JSON.parse(read('package.json')) as { version: string };

  it('describes the remote Streamable HTTP endpoint and its secret Authorization header', () => {
    assert.match(server.name, /^[a-zA-Z0-9.-]+\/[a-zA-Z0-9._-]+$/);
    assert.ok(server.description.length <= 100);
    assert.equal(server.version, pkg.version);
    const [remote] = server.remotes;
    assert.equal(remote.type, 'streamable-http');
    assert.match(remote.url, /^https:\/\/\{host\}\/mcp$/);
    assert.ok(remote.variables.host.isRequired);
    const [header] = remote.headers;
    assert.equal(header.name, 'Authorization');
    assert.equal(header.isRequired, true);
    assert.equal(header.isSecret, true);
    assert.equal(header.value, 'Bearer {api_key}');
  });
});

describe('Dockerfile metrics port', () => {
  it('serves metrics on a port it exposes but compose does not publish', () => {
    const dockerfile = read('Dockerfile');
    const metricsPort = /METRICS_PORT=(\d+)/.exec(dockerfile)?.[1];
    assert.ok(metricsPort);
    assert.match(dockerfile, new RegExp(`EXPOSE 3000 ${metricsPort}`));
    assert.ok(!read('docker-compose.yml').includes(`${metricsPort}:`));
  });
});
