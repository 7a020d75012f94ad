/**
 * Builds the MCP Apps view (src/view/) into one self-contained HTML document: the TypeScript
 * bundled by esbuild into one inline classic script, the CSS minified inline, nothing loaded from
 * elsewhere. The server reads the result once at start (src/mcp/apps/taskView.ts).
 *   npm run build:view                      writes dist/view/tasks.html and prints its size
 *   node --import tsx scripts/buildView.ts --out <file>
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build, transform, type Plugin } from 'esbuild';
import { TASK_VIEW_FILE } from '../src/mcp/apps/taskView.js';
import { VERSION } from '../src/version.js';

const VIEW_SOURCES = new URL('../src/view/', import.meta.url);

export interface ViewSize {
  readonly file: string;
  readonly bytes: number;
  readonly gzipBytes: number;
}

/**
 * ext-apps 2.0 imports zod as `import { z } from "zod/v4"`: a namespace object re-exported as a
 * binding, which esbuild must build whole, so every zod export (JSON Schema conversion, some 60
 * locales, ...) would ship in the view. Importing the same module as a namespace (`import * as
 * z`) is equivalent for the property accesses ext-apps makes and lets esbuild keep only what is
 * used: about 24 KB less gzipped. When a later ext-apps imports zod differently, nothing matches
 * and the bundle is merely bigger (test/view/viewSize.test.ts watches the size).
 */
const zodAsNamespace: Plugin = {
  name: 'ext-apps-zod-as-namespace',
  setup(bundler) {
    bundler.onLoad({ filter: /[\\/]@modelcontextprotocol[\\/]ext-apps[\\/]dist[\\/]src[\\/][^\\/]+\.js$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replace(/import\s*\{\s*z as (\w+)\s*\}\s*from\s*"zod\/v4"/g, 'import*as $1 from"zod/v4"'),
      loader: 'js',
    }));
  },
};

/** Escapes what would end an inline classic script early (the HTML parser ends it at `</script`). */
function inlineScript(js: string): string {
  if (js.includes('<!--')) throw new Error('the view bundle contains "<!--", which changes how HTML parses an inline script');
  return js.replace(/<\/(script)/gi, '<\\/$1');
}

/** Builds the view into `outFile` and returns its size. */
export async function buildView(outFile: string = TASK_VIEW_FILE): Promise<ViewSize> {
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('main.ts', VIEW_SOURCES))],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    define: { FLUX_MCP_VERSION: JSON.stringify(VERSION), 'process.env.NODE_ENV': '"production"' },
    plugins: [zodAsNamespace],
    logLevel: 'warning',
  });
  const js = inlineScript(bundle.outputFiles[0]!.text.trim());
  const css = (await transform(readFileSync(new URL('tasks.css', VIEW_SOURCES), 'utf8'), { loader: 'css', minify: true })).code.trim();
  // Function replacers: `$&` and the like in minified code must stay as they are.
  const html = readFileSync(new URL('tasks.html', VIEW_SOURCES), 'utf8')
    .replace('/*__VIEW_CSS__*/', () => css)
    .replace('/*__VIEW_JS__*/', () => js);
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, html);
  const bytes = Buffer.from(html);
  return { file: outFile, bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
}

export function describeSize(size: ViewSize): string {
  const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} KB`;
  return `${size.file}: ${size.bytes} bytes (${kb(size.bytes)}), gzip -9 ${size.gzipBytes} bytes (${kb(size.gzipBytes)})`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  process.stdout.write(`${describeSize(await buildView(values.out))}\n`);
}
