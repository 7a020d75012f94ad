import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { buildView } from '../scripts/buildView.js';
import { loadConfig, SETTINGS } from '../src/config.js';
import { unusedPort } from './helpers/net.js';
import { spawnService } from './helpers/process.js';

const ROOT = new URL('..', import.meta.url).pathname;
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

/** Instructions of the Dockerfile, continuation lines joined, comments dropped. */
function instructions(): { op: string; args: string }[] {
  return dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [op, ...rest] = line.split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(' ') };
    });
}

function finalStage(): { op: string; args: string }[] {
  const all = instructions();
  const lastFrom = all.map((i) => i.op).lastIndexOf('FROM');
  return all.slice(lastFrom);
}

describe('Dockerfile and compose file', () => {
  let buildDir: string;

  before(async () => {
    // Build exactly what the image's build stage builds, into a scratch copy of the image layout.
    buildDir = mkdtempSync(join(tmpdir(), 'flux-mcp-image-'));
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(buildDir, 'dist')], {
      encoding: 'utf8',
    });
    assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
    await buildView(join(buildDir, 'dist/view/tasks.html'));
    cpSync(join(ROOT, 'package.json'), join(buildDir, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(buildDir, 'node_modules'));
  });
  after(() => {
    rmSync(buildDir, { recursive: true, force: true });
  });

  it('is multi-stage and runs as a non-root user with HOST=0.0.0.0', () => {
    assert.ok(instructions().filter((i) => i.op === 'FROM').length >= 2);
    const stage = finalStage();
    const user = stage.find((i) => i.op === 'USER')?.args;
    assert.ok(user && user !== 'root' && user !== '0');
    assert.ok(stage.some((i) => i.op === 'ENV' && /\bHOST=0\.0\.0\.0\b/.test(i.args)));
    assert.ok(instructions().some((i) => i.op === 'RUN' && /npm (?:ci|prune) --omit=dev/.test(i.args)), 'production dependencies only');
  });

  it('applies the patches of patches/ right after installing, before anything is built', () => {
    const all = instructions();
    const install = all.findIndex((i) => i.op === 'RUN' && /npm ci\b/.test(i.args));
    assert.ok(install >= 0);
    assert.match(all[install]!.args, /npm ci --ignore-scripts .*&& npx patch-package --error-on-fail/);
    const copyPatches = all.findIndex((i) => i.op === 'COPY' && /^patches\s/.test(i.args));
    assert.ok(copyPatches >= 0 && copyPatches < install, 'patches/ is copied in before the install');
    const build = all.findIndex((i) => i.op === 'RUN' && /npm run build/.test(i.args));
    assert.ok(build > install);
    assert.ok(!all.slice(install + 1).some((i) => i.op === 'RUN' && /npm ci\b/.test(i.args)), 'no later install replaces the patched packages');
  });

  it('copies only files that exist into the build stage', () => {
    for (const copy of instructions().filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))) {
      const sources = copy.args.split(/\s+/).slice(0, -1);
      for (const source of sources) assert.ok(existsSync(join(ROOT, source)), `${source} exists`);
    }
  });

  it('starts with an exec-form CMD whose file exists in the build output', () => {
    const cmd = JSON.parse(finalStage().find((i) => i.op === 'CMD')!.args) as string[];
    assert.equal(cmd[0], 'node', 'node itself is PID 1, so signals reach it');
    assert.ok(existsSync(join(buildDir, cmd[1]!)), `${cmd[1]} is built`);
  });

  it('needs nothing at run time beyond the production dependencies', () => {
    const files: string[] = readdirSync(join(buildDir, 'dist'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
    const allowed = new Set([...Object.keys(pkg.dependencies), ...builtinModules]);
    for (const file of files) {
      const code = readFileSync(join(buildDir, 'dist', file), 'utf8');
      for (const match of code.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
        const specifier = match[1]!;
        if (specifier.startsWith('.') || specifier.startsWith('node:')) continue;
        const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
        assert.ok(allowed.has(name), `${file} imports ${specifier}, which is not a production dependency`);
      }
    }
  });

  it('runs the built image command: healthy, then a clean exit on SIGTERM', async () => {
    const port = await unusedPort();
    const cmd = JSON.parse(finalStage().find((i) => i.op === 'CMD')!.args) as string[];
    const env = { PORT: String(port), HOST: '127.0.0.1' };
    const service = await spawnService(env, { nodeArgs: cmd.slice(1), cwd: buildDir });
    try {
      const healthcheck = /CMD (\[.*\])$/.exec(finalStage().find((i) => i.op === 'HEALTHCHECK')!.args)![1]!;
      const [bin, ...args] = JSON.parse(healthcheck) as string[];
      assert.equal(bin, 'node');
      const probe = spawnSync(process.execPath, args, { env: { ...process.env, ...env }, timeout: 10_000 });
      assert.equal(probe.status, 0, 'the HEALTHCHECK command passes');
      service.child.kill('SIGTERM');
      assert.equal(await service.exited, 0);
    } finally {
      service.child.kill('SIGKILL');
    }
  });

  it('compose runs the service with a restart policy, a health check and known variables', () => {
    const compose = parseYaml(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
      services: Record<string, { build: unknown; ports: string[]; environment: Record<string, string>; restart: string; healthcheck: { test: string[] } }>;
    };
    const service = compose.services['flux-mcp']!;
    assert.ok(service.build);
    assert.match(service.ports[0]!, /:3000$/);
    assert.equal(service.restart, 'unless-stopped');
    assert.ok(service.healthcheck.test.join(' ').includes('/healthz'));
    const known = new Set(Object.values(SETTINGS).map((setting) => setting.env));
    for (const name of Object.keys(service.environment)) assert.ok(known.has(name), `${name} is a configuration variable`);
    assert.equal(service.environment.HOST, '0.0.0.0');
  });

  it('compose offers a Redis for replicas to share, behind a profile, that REDIS_URL can point at', () => {
    const compose = parseYaml(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
      services: Record<string, { profiles?: string[]; environment?: Record<string, string>; command?: string[] }>;
    };
    const redis = compose.services.redis!;
    assert.deepEqual(redis.profiles, ['redis']);
    assert.ok(redis.command?.includes('--save'), 'no persistence: it holds short-lived counters only');
    assert.equal(compose.services['flux-mcp']!.environment!.REDIS_URL, '${REDIS_URL:-}');
    assert.equal(loadConfig({ REDIS_URL: 'redis://redis:6379' }).redisUrl, 'redis://redis:6379');
  });
});
