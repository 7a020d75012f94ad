// First: Zod must be told not to try eval before ext-apps and the SDK build their schemas.
import './jitless.js';
import { App, applyDocumentTheme, applyHostFonts, applyHostStyleVariables, type McpUiHostContext } from '@modelcontextprotocol/ext-apps';
import { formatter, type Formatter } from './format.js';
import { readResult, tasksOf, type Shown, type Task } from './model.js';
import { batchSection, countsLine, message, STATUS_LABELS, taskCard, type RenderOptions } from './render.js';

/**
 * The MCP Apps view of flux_get_task and flux_get_tasks_batch: renders the result the host hands
 * over, and while any task is pending asks the host to call the same tool again with
 * wait_seconds, so the server answers as soon as the tasks settle.
 */

declare const FLUX_MCP_VERSION: string;

type CallToolResult = Awaited<ReturnType<App['callServerTool']>>;

const SINGLE_TOOL = 'flux_get_task';
const BATCH_TOOL = 'flux_get_tasks_batch';
/** Each refresh lets the server wait this long: well inside the usual 60 s host limit for a call. */
const REFRESH_WAIT_SECONDS = 20;
/** How long a view keeps refreshing before it leaves the rest to the user. */
const MAX_REFRESHING_MS = 15 * 60_000;
const MAX_FAILED_REFRESHES = 3;

const root = document.getElementById('view')!;
const announcer = document.getElementById('announcer')!;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

function firstText(result: CallToolResult): string | undefined {
  for (const block of result.content ?? []) if (block.type === 'text' && block.text) return block.text;
  return undefined;
}

function summary(shown: Shown): string {
  if (shown.kind === 'batch') return `${countsLine(shown)}.`;
  const { task } = shown;
  const images = task.status === 'succeeded' ? `, ${task.images.length} image${task.images.length === 1 ? '' : 's'}` : '';
  return `Task ${task.taskId}: ${STATUS_LABELS[task.status].toLowerCase()}${images}.`;
}

class TaskViewController {
  readonly #app: App;
  /** Ends with the view: stops refreshing and every pause. */
  readonly #torn = new AbortController();
  #format: Formatter = formatter(undefined, undefined);
  #toolName: string | undefined;
  #args: Record<string, unknown> | undefined;
  #shown: Shown | undefined;
  #cards = new Map<number, { signature: string; card: HTMLElement }>();
  #batch: { counts: HTMLElement; items: HTMLElement[] } | undefined;
  #announced = '';
  #refreshing = false;
  #waitingSince: number | undefined;
  #inFlight: AbortController | undefined;

  constructor(app: App) {
    this.#app = app;
    document.addEventListener('visibilitychange', () => {
      // A hidden view stops asking; the loop picks up again once it is visible.
      if (document.hidden) this.#inFlight?.abort();
    });
  }

  applyHostContext(context: McpUiHostContext | undefined): void {
    if (!context) return;
    if (context.theme) applyDocumentTheme(context.theme);
    if (context.styles?.variables) applyHostStyleVariables(context.styles.variables);
    if (context.styles?.css?.fonts) applyHostFonts(context.styles.css.fonts);
    const insets = context.safeAreaInsets;
    if (insets) {
      for (const side of ['top', 'right', 'bottom', 'left'] as const) document.documentElement.style.setProperty(`--safe-${side}`, `${insets[side]}px`);
    }
    if (context.toolInfo?.tool.name) this.#toolName = context.toolInfo.tool.name;
    if (context.locale !== undefined || context.timeZone !== undefined) {
      const merged = this.#app.getHostContext();
      this.#format = formatter(merged?.locale, merged?.timeZone);
      this.#cards.clear();
      if (this.#shown) this.#render(this.#shown);
    }
  }

  toolInput(args: Record<string, unknown> | undefined): void {
    this.#args = args;
  }

  teardown(): void {
    this.#torn.abort();
    this.#inFlight?.abort();
  }

  /** A tool result, from the host or from a refresh this view asked for. */
  show(result: CallToolResult): void {
    if (result.isError) {
      this.#showMessage(firstText(result) ?? 'The tool reported an error.', 'problem');
      return;
    }
    const shown = readResult(result.structuredContent);
    if (shown) {
      this.#render(shown);
      void this.#refreshWhilePending();
    } else if (this.#canCallTools()) {
      // Some hosts hand the view the result without its structured content: ask once more.
      void this.#callTool(0).then((answer) => {
        if (answer && !answer.isError && readResult(answer.structuredContent)) this.show(answer);
        else this.#showMessage(firstText(result) ?? 'The result holds no task.', 'note');
      });
    } else {
      this.#showMessage(firstText(result) ?? 'The result holds no task.', 'note');
    }
  }

  cancelled(reason: string | undefined): void {
    this.#showMessage(`The call was cancelled${reason ? `: ${reason}` : '.'}`, 'note');
  }

  #options(): RenderOptions {
    return {
      format: this.#format,
      canOpenLinks: this.#app.getHostCapabilities()?.openLinks !== undefined,
      openImage: (url) => void this.#openImage(url),
      refreshing: this.#canCallTools(),
    };
  }

  #canCallTools(): boolean {
    return this.#args !== undefined && this.#app.getHostCapabilities()?.serverTools !== undefined;
  }

  async #openImage(url: string): Promise<void> {
    try {
      const { isError } = await this.#app.openLink({ url });
      if (isError) console.warn('[flux-mcp view] the host did not open', url);
    } catch (error) {
      console.warn('[flux-mcp view] could not open', url, error);
    }
  }

  #showMessage(text: string, kind: 'note' | 'problem'): void {
    this.#shown = undefined;
    this.#cards.clear();
    this.#batch = undefined;
    root.replaceChildren(message(text, kind));
    root.removeAttribute('aria-busy');
    this.#announce(text);
  }

  #announce(text: string): void {
    if (text === this.#announced) return;
    this.#announced = text;
    announcer.textContent = text;
  }

  /** Keeps the card of every task that did not change, so focus and loaded images stay put. */
  #card(position: number, task: Task, options: RenderOptions, level: 'h2' | 'h3'): { card: HTMLElement; changed: boolean } {
    const signature = JSON.stringify([task, options.refreshing, options.canOpenLinks]);
    const kept = this.#cards.get(position);
    if (kept?.signature === signature) return { card: kept.card, changed: false };
    const card = taskCard(task, options, level);
    this.#cards.set(position, { signature, card });
    return { card, changed: true };
  }

  #render(shown: Shown): void {
    const previous = this.#shown;
    this.#shown = shown;
    const options = this.#options();
    const focused = document.activeElement;
    if (shown.kind === 'single') {
      if (previous?.kind !== 'single') this.#cards.clear();
      this.#batch = undefined;
      const { card, changed } = this.#card(0, shown.task, options, 'h2');
      if (changed || card.parentElement !== root) root.replaceChildren(card);
    } else {
      const sameShape = previous?.kind === 'batch' && previous.tasks.length === shown.tasks.length && this.#batch !== undefined;
      if (!sameShape) this.#cards.clear();
      const cards = shown.tasks.map((task, position) => this.#card(position, task, options, 'h3'));
      if (sameShape && this.#batch) {
        this.#batch.counts.textContent = countsLine(shown);
        cards.forEach(({ card, changed }, position) => {
          if (changed) this.#batch!.items[position]!.replaceChildren(card);
        });
      } else {
        const { section, items } = batchSection(countsLine(shown), cards.map(({ card }) => card));
        this.#batch = { counts: section.querySelector('h2')!, items };
        root.replaceChildren(section);
      }
    }
    root.removeAttribute('aria-busy');
    // Focus inside a card that was replaced would fall back to the page: move it to the new card.
    if (focused instanceof HTMLElement && focused !== document.body && !focused.isConnected) {
      const card = root.querySelector<HTMLElement>(`[data-task-id="${CSS.escape(focused.closest<HTMLElement>('[data-task-id]')?.dataset.taskId ?? '')}"]`);
      if (card) {
        card.tabIndex = -1;
        card.focus();
      }
    }
    this.#announce(summary(shown));
    this.#tick();
  }

  #pendingTasks(): readonly Task[] {
    return this.#shown ? tasksOf(this.#shown).filter((task) => task.status === 'pending') : [];
  }

  /** Updates the "waiting n s" label of every pending card (not announced: it changes every second). */
  #tick(): void {
    if (this.#waitingSince === undefined) return;
    const seconds = Math.round((Date.now() - this.#waitingSince) / 1000);
    for (const label of root.querySelectorAll<HTMLElement>('[data-waiting-label]')) {
      label.textContent = document.hidden ? `Paused while hidden, after waiting ${seconds} s.` : `Generating; waiting ${seconds} s.`;
    }
  }

  #stopWaiting(text: string): void {
    this.#waitingSince = undefined;
    for (const label of root.querySelectorAll<HTMLElement>('[data-waiting-label]')) label.textContent = text;
  }

  #callTool(waitSeconds: number, signal?: AbortSignal): Promise<CallToolResult | undefined> {
    const args = this.#args ?? {};
    const name = this.#toolName ?? (Array.isArray(args.task_ids) ? BATCH_TOOL : SINGLE_TOOL);
    return this.#app
      .callServerTool({ name, arguments: { ...args, wait_seconds: waitSeconds } }, { signal, timeout: (waitSeconds + 40) * 1000 })
      .catch((error: unknown) => {
        if (!signal?.aborted) console.warn('[flux-mcp view] refresh failed', error);
        return undefined;
      });
  }

  #whenVisible(): Promise<void> {
    if (!document.hidden) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        document.removeEventListener('visibilitychange', onChange);
        resolve();
      };
      const onChange = () => !document.hidden && done();
      document.addEventListener('visibilitychange', onChange);
      this.#torn.signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Asks for the same tool again while tasks are pending; one loop at a time. */
  async #refreshWhilePending(): Promise<void> {
    if (this.#refreshing || !this.#canCallTools() || this.#pendingTasks().length === 0) return;
    this.#refreshing = true;
    this.#waitingSince = Date.now();
    const ticker = setInterval(() => this.#tick(), 1000);
    let failures = 0;
    try {
      while (!this.#torn.signal.aborted && this.#pendingTasks().length > 0 && Date.now() - this.#waitingSince < MAX_REFRESHING_MS) {
        await this.#whenVisible();
        this.#tick();
        if (this.#torn.signal.aborted) break;
        const call = new AbortController();
        this.#inFlight = call;
        const asked = Date.now();
        const answer = await this.#callTool(REFRESH_WAIT_SECONDS, call.signal);
        this.#inFlight = undefined;
        if (call.signal.aborted) continue;
        const shown = answer && !answer.isError ? readResult(answer.structuredContent) : undefined;
        if (shown) {
          failures = 0;
          this.#render(shown);
          // The server answered early with tasks still pending (it was told to stop waiting):
          // give them the time the server suggests before asking again.
          const pending = this.#pendingTasks();
          if (pending.length > 0 && Date.now() - asked < 2_000) {
            await sleep(Math.max(...pending.map((task) => task.pollAfterSeconds ?? 5)) * 1000, this.#torn.signal);
          }
        } else if (++failures >= MAX_FAILED_REFRESHES) {
          const reason = answer ? firstText(answer) : undefined;
          this.#stopWaiting(`Stopped refreshing${reason ? `: ${reason}` : ''}. Ask again later.`);
          return;
        } else {
          await sleep(5_000 * failures, this.#torn.signal);
        }
      }
      if (!this.#torn.signal.aborted && this.#pendingTasks().length > 0) this.#stopWaiting('Still generating after 15 minutes; ask again later.');
    } finally {
      clearInterval(ticker);
      this.#refreshing = false;
    }
  }
}

const app = new App({ name: 'flux-mcp-tasks', version: FLUX_MCP_VERSION }, {}, { autoResize: true });
const view = new TaskViewController(app);

// Every handler before connect(): the host may send the tool input and result right after the handshake.
app.ontoolinput = ({ arguments: args }) => view.toolInput(args);
app.ontoolresult = (result) => view.show(result);
app.ontoolcancelled = ({ reason }) => view.cancelled(reason);
app.onhostcontextchanged = (context) => view.applyHostContext(context);
app.onteardown = () => {
  view.teardown();
  return {};
};

app
  .connect()
  .then(() => view.applyHostContext(app.getHostContext()))
  .catch((error: unknown) => {
    root.replaceChildren(message(`Could not connect to the host: ${error instanceof Error ? error.message : String(error)}`, 'problem'));
  });
