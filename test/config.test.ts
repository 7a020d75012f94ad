import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from '../src/config.js';

const SECRET = randomBytes(32).toString('base64url');
const OTHER_SECRET = randomBytes(32).toString('base64url');

/** Starts the service with `env` on top of this process's environment, as a user would, and waits for it to stop. */
function startWith(env: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/index.ts'], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 20_000 });
}

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
      publicUrl: undefined,
      oauthSecrets: [],
      oauthAccessTokenTtlSeconds: 3600,
      oauthRefreshTokenTtlSeconds: 2_592_000,
      oauthCodeTtlSeconds: 60,
      rateLimitOAuthPerMinute: 600,
      rateLimitSignInPerMinute: 10,
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

  describe('OAuth sign-in (PUBLIC_URL and OAUTH_SECRETS)', () => {
    it('is off with neither, on with both', () => {
      assert.equal(loadConfig({}).publicUrl, undefined);
      const config = loadConfig({ PUBLIC_URL: 'https://Flux-MCP.example.com/', OAUTH_SECRETS: ` ${SECRET} , ${OTHER_SECRET} ` });
      assert.equal(config.publicUrl, 'https://flux-mcp.example.com');
      assert.deepEqual(config.oauthSecrets, [SECRET, OTHER_SECRET]);
    });

    it('accepts plain http only on loopback', () => {
      for (const url of ['http://127.0.0.1:3000', 'http://localhost:8080', 'http://[::1]:3000']) {
        assert.equal(loadConfig({ PUBLIC_URL: url, OAUTH_SECRETS: SECRET }).publicUrl, url);
      }
    });

    const refusals: [string, Record<string, string>, RegExp][] = [
      ['PUBLIC_URL without OAUTH_SECRETS', { PUBLIC_URL: 'https://flux-mcp.example.com' }, /^OAUTH_SECRETS is empty but PUBLIC_URL is set: OAuth sign-in needs both/],
      ['OAUTH_SECRETS without PUBLIC_URL', { OAUTH_SECRETS: SECRET }, /^PUBLIC_URL is empty but OAUTH_SECRETS is set: OAuth sign-in needs both/],
      ['a plain http public URL', { PUBLIC_URL: 'http://flux-mcp.example.com', OAUTH_SECRETS: SECRET }, /^PUBLIC_URL must use https \(plain http only for localhost/],
      ['a public URL with a path', { PUBLIC_URL: 'https://example.com/flux', OAUTH_SECRETS: SECRET }, /^PUBLIC_URL must be an origin only/],
      ['a public URL with a query', { PUBLIC_URL: 'https://example.com?x=1', OAUTH_SECRETS: SECRET }, /^PUBLIC_URL must be an origin only/],
      ['a public URL that is not a URL', { PUBLIC_URL: 'flux-mcp.example.com', OAUTH_SECRETS: SECRET }, /^PUBLIC_URL must be an absolute URL/],
      ['a short secret', { PUBLIC_URL: 'https://a.example', OAUTH_SECRETS: SECRET.slice(0, 40) }, /^OAUTH_SECRETS must list secrets of 32 random bytes/],
      ['a secret that is not base64url', { PUBLIC_URL: 'https://a.example', OAUTH_SECRETS: `${SECRET.slice(0, 42)}+` }, /^OAUTH_SECRETS must list secrets of 32 random bytes/],
      ['a base64 (not base64url) secret with padding', { PUBLIC_URL: 'https://a.example', OAUTH_SECRETS: randomBytes(32).toString('base64') }, /^OAUTH_SECRETS must list/],
      ['a secret of 32 zero bytes', { PUBLIC_URL: 'https://a.example', OAUTH_SECRETS: Buffer.alloc(32).toString('base64url') }, /^OAUTH_SECRETS must list secrets of 32 random bytes/],
      ['a password encoded as base64url', { PUBLIC_URL: 'https://a.example', OAUTH_SECRETS: Buffer.from('correct-horse-battery-staple-123').toString('base64url') }, /^OAUTH_SECRETS must list/],
      ['a secret longer than 32 bytes', { PUBLIC_URL: 'https://a.example', OAUTH_SECRETS: randomBytes(48).toString('base64url') }, /^OAUTH_SECRETS must list/],
      ['the same secret twice', { PUBLIC_URL: 'https://a.example', OAUTH_SECRETS: `${SECRET},${SECRET}` }, /^OAUTH_SECRETS must not list the same secret twice/],
      ['one good and one weak secret', { PUBLIC_URL: 'https://a.example', OAUTH_SECRETS: `${SECRET},abc` }, /^OAUTH_SECRETS must list/],
      ['an access token lifetime under a minute', { OAUTH_ACCESS_TOKEN_TTL: '30' }, /^OAUTH_ACCESS_TOKEN_TTL must be at least 60/],
      ['a code lifetime over 10 minutes', { OAUTH_CODE_TTL: '3600' }, /^OAUTH_CODE_TTL must be at most 600/],
    ];
    for (const [what, env, message] of refusals) {
      it(`refuses ${what}, never repeating a secret`, () => {
        assert.throws(
          () => loadConfig(env),
          (error: unknown) =>
            error instanceof ConfigError &&
            message.test(error.message) &&
            !error.message.includes('\n') &&
            !(env.OAUTH_SECRETS ?? '').split(',').some((secret) => secret.length > 8 && error.message.includes(secret.slice(0, 8))),
        );
      });
    }

    it('makes the service exit non-zero with one line, without the secret', () => {
      const weak = Buffer.alloc(32, 7).toString('base64url');
      const run = startWith({ PUBLIC_URL: 'https://flux-mcp.example.com', OAUTH_SECRETS: weak });
      assert.equal(run.status, 1);
      assert.equal(run.stdout, '');
      const lines = run.stderr.trim().split('\n');
      assert.equal(lines.length, 1);
      assert.match(lines[0]!, /^flux-mcp: invalid configuration: OAUTH_SECRETS must list secrets of 32 random bytes/);
      assert.ok(!run.stderr.includes(weak.slice(0, 12)));
    });
  });

  it('makes the service exit non-zero with one line naming the variable', () => {
    const run = startWith({ PORT: 'not-a-port' });
    assert.equal(run.status, 1);
    assert.equal(run.stdout, '');
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^flux-mcp: invalid configuration: PORT must be a whole number from 0 to 65535 \(got "not-a-port"\)$/);
  });
});
