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
  ];
  for (const [name, value, message] of bad) {
    it(`rejects ${name}=${value} naming the variable`, () => {
      assert.throws(
        () => loadConfig({ [name]: value }),
        (error: unknown) => error instanceof ConfigError && message.test(error.message),
      );
    });
  }

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
