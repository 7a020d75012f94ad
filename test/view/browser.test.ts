import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Frame, Page } from 'playwright-core';
import { launchBrowser, startTestHost, type Browser, type TestHost } from '../helpers/browser.js';
import { eventually, startHarness, type Harness } from '../helpers/harness.js';
import type { HostSettings, HostState } from './host/settings.js';

/**
 * The MCP Apps view in a real browser: headless Chromium shows a minimal host page whose real MCP
 * client talks to a real flux-mcp (sandbox Flux API behind it) and embeds the view through
 * ext-apps' AppBridge, in the specification's sandbox proxy with the CSP the view declares.
 * UPDATE_SCREENSHOTS=1 writes the screenshots to docs/screenshots/ (npm run screenshots);
 * otherwise they go to a temporary directory.
 */

const KEY = 'key-view-browser-0001';
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? new URL('../../docs/screenshots/', import.meta.url).pathname : mkdtempSync(join(tmpdir(), 'flux-mcp-screenshots-'));
const FOX = 'a red fox curled up in fresh snow, morning light, watercolor';

interface Opened {
  readonly page: Page;
  readonly view: Frame;
  /** Console errors and uncaught exceptions from the host page, the proxy and the view. */
  readonly errors: string[];
}

type TaskResult = { task_id: string; status: string; images: { url: string }[] };

describe('the MCP Apps view in headless Chromium', () => {
  let harness: Harness;
  let host: TestHost;
  let browser: Browser;
  const pages: Opened[] = [];

  before(async () => {
    harness = await startHarness({ viewImagesFromSandbox: true });
    harness.sandbox.addKey(KEY);
    host = await startTestHost();
    browser = await launchBrowser();
    mkdirSync(SCREENSHOTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await host?.close();
    await harness?.close();
  });
  afterEach(async () => {
    for (const opened of pages.splice(0)) await opened.page.close();
    host.cspReports.length = 0;
  });

  async function open(tool: string, args: Record<string, unknown>, era: HostSettings['era'], extra: Partial<HostSettings> = {}): Promise<Opened> {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`${message.location().url || 'page'}: ${message.text()}`);
    });
    page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
    const settings: HostSettings = { mcpUrl: harness.mcpUrl.href, key: KEY, era, sandboxUrl: host.sandboxUrl, tool, args, theme: 'light', ...extra };
    await page.goto(`${host.hostUrl}#${encodeURIComponent(JSON.stringify(settings))}`);
    await page.waitForFunction('window.__host?.ready === true || window.__host?.error !== undefined');
    assert.equal(await hostState(page, (state) => state.error), undefined);
    const sandbox = await (await page.$('#view'))!.contentFrame();
    const view = sandbox!.childFrames()[0]!;
    await view.waitForSelector('#view:not([aria-busy])');
    const opened = { page, view, errors };
    pages.push(opened);
    return opened;
  }

  // Page-side code is given as text where it needs the DOM's globals: this file is type-checked
  // for Node, which has none. Conditions inside the view are polled from here: Playwright's own
  // in-page polling of a text condition compiles it with eval, which the view's CSP forbids.

  /** Resolves once `expression`, evaluated in the view, is true. */
  async function untilView(view: Frame, expression: string, timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!(await view.evaluate(expression))) {
      if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting in the view for ${expression}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Reads the host page's state (`window.__host`) through `pick`, which runs in the page. */
  function hostState<T>(page: Page, pick: (state: HostState) => T): Promise<T> {
    return page.evaluate(`(${pick.toString()})(window.__host)`) as Promise<T>;
  }

  function untilHost(page: Page, condition: string): Promise<unknown> {
    return page.waitForFunction(`(state => ${condition})(window.__host)`);
  }

  function computedStyle(view: Frame, selector: string, property: 'backgroundColor' | 'fontFamily'): Promise<string> {
    return view.evaluate(`getComputedStyle(document.querySelector(${JSON.stringify(selector)})).${property}`) as Promise<string>;
  }

  function setTheme(page: Page, view: Frame, theme: 'light' | 'dark'): Promise<unknown> {
    return page.evaluate(`window.__host.setTheme(${JSON.stringify(theme)})`).then(() => untilView(view, `document.documentElement.dataset.theme === ${JSON.stringify(theme)}`));
  }

  /** Waits until a pending card shows how long the view has been waiting, at least `seconds`. */
  function waitingShown(view: Frame, seconds = 0): Promise<unknown> {
    return untilView(view, String.raw`Number(/waiting (\d+) s/.exec(document.querySelector('[data-waiting-label]')?.textContent ?? '')?.[1] ?? -1) >= ${seconds}`);
  }

  async function imagesLoaded(view: Frame, count: number): Promise<string[]> {
    await untilView(view, `[...document.images].length === ${count} && [...document.images].every((image) => image.complete && image.naturalWidth > 0)`);
    return view.$$eval('img', (images) => images.map((image) => image.getAttribute('src') ?? ''));
  }

  /** Nothing went wrong: no console error anywhere, no CSP violation reported (after the reports' usual delay). */
  async function assertClean(opened: Opened): Promise<void> {
    await opened.page.waitForTimeout(300);
    assert.deepEqual(opened.errors, []);
    assert.deepEqual(host.cspReports, []);
  }

  it('reports CSP violations and console errors from inside the view (what the other checks rely on)', async () => {
    const id = harness.sandbox.addTask(KEY);
    const opened = await open('flux_get_task', { task_id: id }, 'legacy');
    const sandboxImage = `${harness.sandbox.url}/cdn/flux/${id}.png`;
    await opened.view.evaluate(`new Image().src = 'https://elsewhere.invalid/probe.png'; fetch(${JSON.stringify(sandboxImage)}).catch(() => undefined)`);
    await eventually(() => host.cspReports.length >= 2, 5_000, 'two CSP reports');
    const reports = host.cspReports.map((report) => `${report.directive} ${report.blocked}`);
    assert.ok(reports.some((line) => line.startsWith('img-src https://elsewhere.invalid/')), reports.join('\n'));
    assert.ok(reports.some((line) => line.startsWith('connect-src') && line.includes(harness.sandbox.url)), `images may be shown but not fetched: ${reports.join('\n')}`);
    await eventually(() => opened.errors.some((error) => error.includes('elsewhere.invalid')), 5_000, 'the console error of the refused image');
    assert.deepEqual(browser.refused, [], 'nothing ever left this machine');
  });

  it('shows a succeeded task: status, images from the result, prompt, details; a thumbnail opens full size by mouse and keyboard (2025 era)', async () => {
    const id = harness.sandbox.addTask(KEY, { id: 'a1e0c7d2-5b1f-4c8e-9d3a-7f2b6c1e0001', images: 2, prompt: FOX, model: 'flux-2-pro', size: '16:9', ageMs: 9_000, settleAfterMs: 8_400 });
    const opened = await open('flux_get_task', { task_id: id }, 'legacy');
    const { view, page } = opened;

    const result = (await hostState(page, (state) => state.result?.structuredContent)) as { result: TaskResult };
    const urls = result.result.images.map((image) => image.url);
    assert.deepEqual(urls, [`${harness.sandbox.url}/cdn/flux/${id}.png`, `${harness.sandbox.url}/cdn/flux/${id}-1.png`]);
    assert.deepEqual(await imagesLoaded(view, 2), urls, 'the thumbnails show the result images, in order');

    assert.equal(await view.$eval('.card .badge', (badge) => [badge.getAttribute('data-status'), badge.textContent].join(' ')), 'succeeded Succeeded');
    const text = await view.locator('#view').innerText();
    for (const expected of [id, FOX, 'flux-2-pro', '16:9', 'Created', 'Finished', 'Took', '8.4 s']) assert.ok(text.includes(expected), `${expected} in\n${text}`);
    assert.equal(await view.$eval('#announcer', (live) => [live.getAttribute('role'), live.getAttribute('aria-live'), live.textContent].join('|')), `status|polite|Task ${id}: succeeded, 2 images.`);

    // Screen readers: each thumbnail is a button named after the prompt.
    const thumbnails = view.getByRole('button', { name: `Open full size: Image 1 of 2: ${FOX}` });
    assert.equal(await thumbnails.count(), 1);
    assert.equal(await view.$eval('img', (image) => image.alt), `Image 1 of 2: ${FOX}`);

    await view.locator('button.thumb').nth(1).click();
    await untilHost(page, 'state.openedLinks.length === 1');
    await view.locator('button.thumb').first().focus();
    await page.keyboard.press('Enter');
    await untilHost(page, 'state.openedLinks.length === 2');
    assert.deepEqual(await hostState(page, (state) => state.openedLinks), [urls[1], urls[0]]);

    // The host's theme, fonts and colours follow into the view.
    assert.match(await computedStyle(view, 'body', 'fontFamily'), /DejaVu Sans/);
    const light = await computedStyle(view, '.card', 'backgroundColor');
    await setTheme(page, view, 'dark');
    const dark = await computedStyle(view, '.card', 'backgroundColor');
    assert.deepEqual([light, dark], ['rgb(255, 255, 255)', 'rgb(48, 48, 46)'], 'the host variables, light and dark');
    await assertClean(opened);
  });

  it('turns a pending task succeeded on its own, by asking the host to call the tool again with wait_seconds (2026-07-28 era)', async () => {
    const id = harness.sandbox.addTask(KEY, { settleAfterMs: 6_000, prompt: FOX });
    const opened = await open('flux_get_task', { task_id: id }, 'modern');
    const { view, page } = opened;
    assert.equal(await view.$eval('.badge', (badge) => badge.getAttribute('data-status')), 'pending');
    await waitingShown(view);

    await view.waitForSelector('.badge[data-status="succeeded"]', { timeout: 15_000 });
    await imagesLoaded(view, 1);
    const calls = await hostState(page, (state) => state.toolCalls.map(({ name, arguments: args }) => ({ name, arguments: args })));
    assert.deepEqual(calls[0], { name: 'flux_get_task', arguments: { task_id: id } }, "the host's own call");
    assert.ok(calls.length >= 2, 'the view asked again');
    for (const call of calls.slice(1)) assert.deepEqual(call, { name: 'flux_get_task', arguments: { task_id: id, wait_seconds: 20 } });
    assert.equal(await view.$eval('#announcer', (live) => live.textContent), `Task ${id}: succeeded, 1 image.`);
    await page.waitForTimeout(1_000);
    assert.equal((await hostState(page, (state) => state.toolCalls)).length, calls.length, 'and stopped once it had settled');
    await assertClean(opened);
  });

  it('shows a batch in request order with the counts, every status, and follows the pending task until it settles (screenshots)', async () => {
    const ids = [
      harness.sandbox.addTask(KEY, { id: 'a1e0c7d2-5b1f-4c8e-9d3a-7f2b6c1e0001', images: 2, prompt: FOX, model: 'flux-2-pro', size: '16:9', ageMs: 9_000, settleAfterMs: 8_400 }),
      harness.sandbox.addTask(KEY, { id: 'a1e0c7d2-5b1f-4c8e-9d3a-7f2b6c1e0003', settleAfterMs: 5_000, prompt: 'a lighthouse on a cliff at dawn, oil painting', model: 'flux-dev', size: '1:1' }),
      harness.sandbox.addTask(KEY, {
        id: 'a1e0c7d2-5b1f-4c8e-9d3a-7f2b6c1e0005',
        outcome: 'failed',
        error: { code: 'content_policy', message: 'The prompt was rejected by the content filter.' },
        prompt: 'a portrait of a famous actor',
        model: 'flux-kontext-pro',
        size: '1:1',
        ageMs: 4_000,
        settleAfterMs: 2_100,
      }),
      'a1e0c7d2-5b1f-4c8e-9d3a-7f2b6c1e0404',
    ];
    const opened = await open('flux_get_tasks_batch', { task_ids: ids }, 'legacy');
    const { view, page } = opened;

    assert.deepEqual(await view.$$eval('.card', (cards) => cards.map((card) => [card.getAttribute('data-task-id'), card.getAttribute('data-status')])), [
      [ids[0], 'succeeded'],
      [ids[1], 'pending'],
      [ids[2], 'failed'],
      [ids[3], 'not_found'],
    ]);
    assert.equal(await view.$eval('.counts', (counts) => counts.textContent), '4 tasks: 1 succeeded, 1 pending, 1 failed, 1 not found');
    const text = await view.locator('#view').innerText();
    assert.ok(text.includes('The prompt was rejected by the content filter. (content_policy)'), text);
    assert.ok(text.includes('No task with this id is visible to this API key'), text);
    const result = (await hostState(page, (state) => state.result?.structuredContent)) as { result: { tasks: TaskResult[] } };
    assert.deepEqual(await imagesLoaded(view, 2), result.result.tasks[0]!.images.map((image) => image.url));

    await waitingShown(view, 1);
    const frame = page.locator('#view');
    await frame.screenshot({ path: join(SCREENSHOTS, 'view-light.png') });
    await setTheme(page, view, 'dark');
    await frame.screenshot({ path: join(SCREENSHOTS, 'view-dark.png') });

    await view.waitForSelector(`[data-task-id="${ids[1]}"][data-status="succeeded"]`, { timeout: 15_000 });
    assert.equal(await view.$eval('.counts', (counts) => counts.textContent), '4 tasks: 2 succeeded, 1 failed, 1 not found');
    assert.equal(await view.$eval('#announcer', (live) => live.textContent), '4 tasks: 2 succeeded, 1 failed, 1 not found.');
    await imagesLoaded(view, 3);
    const calls = await hostState(page, (state) => state.toolCalls.map(({ name, arguments: args }) => ({ name, arguments: args })));
    assert.ok(calls.length >= 2, 'the view asked again');
    for (const call of calls.slice(1)) assert.deepEqual(call, { name: 'flux_get_tasks_batch', arguments: { task_ids: ids, wait_seconds: 20 } });
    await assertClean(opened);
  });

  it('asks for the result itself when the host hands it over without structured content', async () => {
    const id = harness.sandbox.addTask(KEY, { images: 1 });
    const opened = await open('flux_get_task', { task_id: id }, 'modern', { withoutStructuredContent: true });
    await opened.view.waitForSelector('.badge[data-status="succeeded"]');
    await imagesLoaded(opened.view, 1);
    const calls = await hostState(opened.page, (state) => state.toolCalls.map(({ arguments: args }) => args));
    assert.deepEqual(calls, [{ task_id: id }, { task_id: id, wait_seconds: 0 }]);
    await assertClean(opened);
  });

  it('stops asking once the host tears the view down', async () => {
    const id = harness.sandbox.addTask(KEY, { settleAfterMs: 120_000 });
    const opened = await open('flux_get_task', { task_id: id }, 'legacy');
    const { page } = opened;
    await untilHost(page, 'state.toolCalls.length === 2');
    const polls = () => harness.sandbox.taskRequests().filter((request) => JSON.stringify(request.body).includes(id)).length;
    await eventually(() => polls() >= 2, 5_000, 'the server polling for the waiting call');
    await page.evaluate('window.__host.teardown()');
    await page.waitForTimeout(300);
    const after = polls();
    await page.waitForTimeout(3_500);
    assert.equal(polls(), after, 'the server stopped waiting for the view');
    assert.equal((await hostState(page, (state) => state.toolCalls)).length, 2, 'and the view asked no more');
    await assertClean(opened);
  });
});
