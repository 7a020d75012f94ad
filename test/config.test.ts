import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.js';

describe('configuration from the environment', () => {
  it('has the documented defaults', () => {
    assert.deepEqual(loadConfig({}), {
      port: 3000,
      host: '127.0.0.1',
      fluxBaseUrl: 'https://api.acedata.cloud',
      fluxRequestTimeoutSeconds: 30,
      fluxTotalTimeoutSeconds: 50,
      fluxMaxConcurrency: 64,
      fluxMaxShare: 0.25,
      waitMaxPerKey: 10,
      waitMaxTotal: 2000,
      anonymousDiscovery: false,
      allowedHosts: [],
      allowedOrigins: [],
      rateLimitPerMinute: 300,
      rateLimitIpPerMinute: 600,
      rateLimitAnonymousPerMinute: 60,
      rateLimitRejectedKeys: 20,
      maxConnections: 4096,
      uploadTimeoutSeconds: 15,
      redisUrl: undefined,
      trustProxy: 0,
      shutdownTimeoutSeconds: 10,
      shutdownDelaySeconds: 0,
      metricsPort: 'main',
      sandbox: false,
      apiToken: undefined,
      logLevel: 'info',
    });
  });

  it('reads every variable, treating empty as unset', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      ACEDATACLOUD_API_BASE_URL: 'http://127.0.0.1:9999/prefix/',
      FLUX_REQUEST_TIMEOUT: '2.5',
      LOG_LEVEL: '',
    });
    assert.equal(config.port, 8080);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.fluxBaseUrl, 'http://127.0.0.1:9999/prefix');
    assert.equal(config.fluxRequestTimeoutSeconds, 2.5);
    assert.equal(config.logLevel, 'info');
  });

  const bad: [string, string, RegExp][] = [
    ['PORT', 'abc', /^PORT must be a whole number/],
    ['PORT', '70000', /^PORT must be at most 65535/],
    ['HOST', 'my host', /^HOST must be a host name/],
    ['ACEDATACLOUD_API_BASE_URL', 'api.acedata.cloud', /^ACEDATACLOUD_API_BASE_URL must be an absolute http\(s\) URL/],
    ['ACEDATACLOUD_API_BASE_URL', 'ftp://example.com', /must use http or https/],
    ['ACEDATACLOUD_API_BASE_URL', 'https://user:pw@example.com', /must not carry credentials/],
    ['FLUX_REQUEST_TIMEOUT', '0', /^FLUX_REQUEST_TIMEOUT must be at least 1/],
    ['FLUX_REQUEST_TIMEOUT', 'soon', /^FLUX_REQUEST_TIMEOUT must be a number of seconds/],
    ['LOG_LEVEL', 'loud', /^LOG_LEVEL must be one of fatal, error/],
    ['MCP_ANONYMOUS_DISCOVERY', 'maybe', /^MCP_ANONYMOUS_DISCOVERY must be true or false/],
    ['MCP_ALLOWED_HOSTS', 'good.example.com,bad host', /^MCP_ALLOWED_HOSTS must list host names/],
    ['MCP_ALLOWED_ORIGINS', 'https://app.example.com/path', /^MCP_ALLOWED_ORIGINS must list origins/],
    ['RATE_LIMIT_PER_MINUTE', '0', /^RATE_LIMIT_PER_MINUTE must be at least 1/],
    ['FLUX_MAX_CONCURRENCY', '-3', /^FLUX_MAX_CONCURRENCY must be a whole number/],
    ['METRICS_PORT', 'public', /^METRICS_PORT must be main, off, or a port number/],
    ['FLUX_SANDBOX', 'sometimes', /^FLUX_SANDBOX must be true or false/],
  ];
  for (const [name, value, message] of bad) {
    it(`rejects ${name}=${value} naming the variable`, () => {
      assert.throws(
        () => loadConfig({ [name]: value }),
        (error: unknown) => error instanceof ConfigError && message.test(error.message),
      );
    });
  }

  it('never repeats a secret it refuses', () => {
    assert.throws(
      () => loadConfig({ ACEDATACLOUD_API_TOKEN: 'secret value with spaces' }),
      (error: unknown) => error instanceof ConfigError && /^ACEDATACLOUD_API_TOKEN must be an API key/.test(error.message) && !error.message.includes('secret value'),
    );
  });

  it('reads lists and flags', () => {
    const config = loadConfig({
      MCP_ANONYMOUS_DISCOVERY: 'on',
      MCP_ALLOWED_HOSTS: ' MCP.example.com , [::1]:3000,',
      MCP_ALLOWED_ORIGINS: 'https://App.example.com,*',
    });
    assert.equal(config.anonymousDiscovery, true);
    assert.deepEqual(config.allowedHosts, ['mcp.example.com', '[::1]:3000']);
    assert.deepEqual(config.allowedOrigins, ['https://app.example.com', '*']);
  });

  it('makes the service exit non-zero with one line naming the variable', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
      env: { ...process.env, PORT: 'not-a-port' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(run.status, 1);
    assert.equal(run.stdout, '');
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^flux-mcp: invalid configuration: PORT must be a whole number from 0 to 65535 \(got "not-a-port"\)$/);
  });
});
