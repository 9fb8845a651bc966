/* global document, getComputedStyle -- page.evaluate() callbacks run in the browser */
// npm run test:e2e — the e2e suite inside a real VS Code (code-server 4.100, its Node extension
// host) driven by Debian's chromium through playwright-core:
//   build → bundle test/e2e → fixture GitOps repo (temp, git init) → code-server on a free port
//   with private dirs → headless chromium opens the workbench with the extension-test `payload`
//   → mocha runs in the extension host (test/e2e/suite/index.ts) → then the same with the
//   sandbox (sandbox/main.ts, scenario test/e2e/scenarios/flows.yaml) and its repository open,
//   for flows*.e2e.test.ts (GITOPS_E2E_SUITE=sandbox) → exit 0 only when both passed.
// The runner also serves a small UI driver on 127.0.0.1 (GITOPS_E2E_DRIVER_URL in the extension
// host) so tests can take screenshots and read/expand tree rows (see test/e2e/helpers.ts).
// Options: --no-build (skip npm run build), --keep (keep the temp folder), --grep <re>,
//          --suite fixture|sandbox|all (default all),
//          --timeout <s> (default 600, or GITOPS_E2E_TIMEOUT), --verbose (all workbench logs),
//          --update-docs-images (screenshots the tests mark `docs: true` go to docs/images/;
//          otherwise to test-results/screenshots/docs/, so a plain run leaves the tree clean).
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import * as util from 'node:util';
import { prepareFixtureRepo } from '../test/e2e/fixture.mjs';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  NPM,
  ROOT,
  codeServerDirs,
  ensureChromium,
  ensureCodeServer,
  freePort,
  mustRun,
  seconds,
  startCodeServer,
  waitForHealthy,
  writeUserSettings,
} from '../test/e2e/harness/tools.mjs';
import { startSandboxProcess } from '../test/e2e/harness/sandbox.mjs';
import { buildTests } from './build-tests.mjs';

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const timeoutS = Number(option('--timeout') ?? process.env.GITOPS_E2E_TIMEOUT ?? 600);
const verbose = flag('--verbose') || process.env.GITOPS_E2E_VERBOSE === '1';
const updateDocsImages = flag('--update-docs-images') || process.env.GITOPS_E2E_UPDATE_DOCS_IMAGES === '1';
const started = Date.now();
const step = (msg) => console.log(`[e2e ${seconds(Date.now() - started)}] ${msg}`);

// Workbench log lines that are expected offline (marketplace, vsda, telemetry) and not the suite's.
const NOISE = [/open-vsx\.org/i, /vsda/i, /telemetry/i, /marketplace/i, /ENOTFOUND/, /getaddrinfo/, /Failed to fetch/i, /ERR_NAME_NOT_RESOLVED/, /\[Extension Host\] \(node:\d+\) /,
  // the workbench's own start-up chatter
  /^Resolv(ing|ed) connection token/, /^Creating a socket/, /^Updating additional builtin extensions cache/, /^\[Service Worker\]/, /^ChatSessionStore/];

const cleanups = [];
let cleaning;
function cleanup() {
  cleaning ??= (async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        console.error(`cleanup: ${err?.message ?? err}`);
      }
    }
  })();
  return cleaning;
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`\n[e2e] ${sig}: stopping code-server and the browser…`);
    void cleanup().then(() => process.exit(130));
  });
}

async function main() {
  await Promise.all([ensureCodeServer(), ensureChromium()]);
  if (!flag('--no-build')) {
    step('npm run build');
    await mustRun(NPM, ['run', '--silent', 'build']);
  }
  if (!fs.existsSync(path.join(ROOT, 'dist', 'extension.js'))) throw new Error('dist/extension.js is missing: run npm run build');
  const suite = await buildTests();
  if (suite.count === 0) throw new Error('no test/e2e/**/*.e2e.test.ts files');

  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-e2e-'));
  if (flag('--keep')) console.log(`[e2e] keeping ${base}`);
  else cleanups.push(() => fs.rmSync(base, { recursive: true, force: true }));

  const { driver, setPage } = await startDriver();
  cleanups.push(() => new Promise((r) => driver.close(() => r())));
  const driverUrl = `http://127.0.0.1:${driver.address().port}`;

  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  cleanups.push(() => browser.close());

  // Two workbenches: the fixture repository (tree, records…), then a repository backed by the
  // sandbox (flows*.e2e.test.ts: deploy, promote, rollback against Argo CD/ECR/Kubernetes stand-ins).
  const which = option('--suite') ?? process.env.GITOPS_E2E_SUITES ?? 'all';
  const runs = [];
  if (which === 'all' || which === 'fixture') runs.push('fixture');
  if ((which === 'all' || which === 'sandbox') && suite.sandboxCount > 0) runs.push('sandbox');
  let code = 0;
  for (const name of runs) {
    let workspace;
    let env = {};
    if (name === 'fixture') {
      workspace = prepareFixtureRepo(path.join(base, 'fixture'));
    } else {
      step('starting the sandbox (scenario test/e2e/scenarios/flows.yaml)');
      const sb = await startSandboxProcess({ dir: path.join(base, 'sandbox'), scenario: path.join(ROOT, 'test', 'e2e', 'scenarios', 'flows.yaml'), quiet: !verbose });
      cleanups.push(() => sb.stop());
      workspace = sb.repo;
      // The person's GitHub as on a workstation: a token (GH_TOKEN — code-server keeps GITHUB_TOKEN for
      // itself) and the sandbox's GitHub trusted as a user trusts a host (GITOPS_DEPLOY_TRUSTED_HOSTS);
      // no GITHUB_API_URL of theirs, so the API URL is the repository's github.apiUrl and a host the
      // repository names instead is asked about (flowsTrust.e2e.test.ts).
      const { GITHUB_API_URL, ...rest } = sb.env;
      env = { ...rest, GH_TOKEN: sb.env.GITHUB_TOKEN, GITOPS_DEPLOY_TRUSTED_HOSTS: new URL(GITHUB_API_URL).host };
    }
    const result = await runWorkbench({ name, base, workspace, env, suite, browser, setPage, driverUrl });
    if (result !== 0) code = 1;
  }
  return code;
}

/** One code-server with `workspace` open; mocha runs the suite's `name` part in its extension host. */
async function runWorkbench({ name, base, workspace, env, suite, browser, setPage, driverUrl }) {
  const dirs = codeServerDirs(path.join(base, `code-server-${name}`));
  writeUserSettings(dirs);
  const port = await freePort();
  const server = startCodeServer({
    port,
    dirs,
    folder: workspace,
    quiet: !verbose,
    env: {
      ...env,
      GITOPS_E2E_DRIVER_URL: driverUrl,
      GITOPS_E2E_SUITE: name,
      GITOPS_E2E_GREP: option('--grep') ?? process.env.GITOPS_E2E_GREP ?? '',
    },
  });
  cleanups.push(() => server.stop());
  try {
    await waitForHealthy(server);
    step(`[${name}] code-server ${server.url} (workspace ${workspace})`);

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
    // A second window a test may open (/window/open): the extension without the test payload, so
    // the workbench behaves as for a person (extension tests may not show modal dialogs).
    const personUrl = `${server.url}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify([['extensionDevelopmentPath', remote(ROOT)]]))}`;
    setPage(page, personUrl);
    let finish;
    const exited = new Promise((resolve) => (finish = resolve));
    await page.exposeFunction('codeAutomationLog', (type, args) => printLog(type, args));
    await page.exposeFunction('codeAutomationExit', (code) => finish(Number(code) || 0));
    page.on('crash', () => finish(-1));

    const payload = [
      ['extensionDevelopmentPath', remote(ROOT)],
      ['extensionTestsPath', remote(suite.index)],
    ];
    const url = `${server.url}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    step(`[${name}] opening the workbench; the suite runs in the extension host`);
    await page.goto(url);

    let timer;
    const timedOut = new Promise((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutS * 1000)));
    const result = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') {
      await saveFailureScreenshot(page, `e2e-${name}-timeout`);
      console.error(`\n[e2e] TIMEOUT: the ${name} suite did not finish within ${timeoutS} s (raise with --timeout <s> or GITOPS_E2E_TIMEOUT).`);
      if (!verbose) console.error(`[e2e] code-server output:\n${server.output().slice(-4000)}`);
      await page.close().catch(() => undefined);
      return 1;
    }
    if (result !== 0) {
      await saveFailureScreenshot(page, `e2e-${name}-failure`);
      if (result === -1) console.error('[e2e] the browser page crashed');
    }
    step(`[${name}] suite finished with exit code ${result}`);
    await page.close().catch(() => undefined);
    return result === 0 ? 0 : 1;
  } finally {
    await server.stop();
  }
}

function printLog(type, args) {
  const text = util.format(...(Array.isArray(args) ? args : [args])); // mocha logs printf-style
  if (!verbose && NOISE.some((re) => re.test(text))) return;
  if (type === 'error') process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  else process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

async function saveFailureScreenshot(page, name) {
  try {
    const file = path.join(ROOT, 'test-results', 'screenshots', `${name}.png`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await page.screenshot({ path: file, timeout: 10_000 });
    console.error(`[e2e] screenshot of the workbench: ${path.relative(ROOT, file)}`);
  } catch {
    // the page may be gone
  }
}

// ---- UI driver: tests ask the runner (over HTTP on 127.0.0.1) to look at the workbench ----

function startDriver() {
  let testPage;
  let personUrl;
  /** The person's window while one is open (/window/open), else the test window. */
  let personPage;
  const page = () => personPage ?? testPage;
  const routes = {
    async '/window/open'({ container }) {
      // The workbench as a person meets it: the extension loaded, no test payload; waits for the view.
      if (personPage) return {};
      personPage = await testPage.context().browser().newPage({ viewport: { width: 1280, height: 800 } });
      await personPage.goto(personUrl);
      const id = container ?? 'workbench.view.extension.gitopsDeploy';
      await personPage.locator('.activitybar a[aria-label^="GitOps Deploy"]').first().click({ timeout: 60_000 });
      await personPage.locator(`[id="${id}"] .monaco-list-row[role="treeitem"]`).first().waitFor({ state: 'visible', timeout: 60_000 });
      return {};
    },
    async '/window/close'() {
      await personPage?.close().catch(() => undefined);
      personPage = undefined;
      return {};
    },
    async '/editor/text'({ includes, timeoutMs }) {
      // The text of the visible editors (their rendered lines), once one includes `includes`.
      const handle = await page().waitForFunction(
        (inc) => {
          const texts = [...document.querySelectorAll('.editor-instance .monaco-editor .view-lines')].map((v) => [...v.querySelectorAll('.view-line')].sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top)).map((l) => l.textContent.replace(/\u00a0/g, ' ')).join('\n'));
          return !inc || texts.some((t) => t.includes(inc)) ? texts : false;
        },
        includes ?? '',
        { timeout: Number(timeoutMs) || 10_000, polling: 200 },
      );
      return handle.jsonValue();
    },
    async '/screenshot'({ name, docs, sidebarWidth }) {
      if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,80}$/.test(name)) throw new Error(`bad screenshot name ${JSON.stringify(name)}`);
      const shots = path.join(ROOT, 'test-results', 'screenshots');
      const file = docs ? path.join(updateDocsImages ? path.join(ROOT, 'docs', 'images') : path.join(shots, 'docs'), `${name}.png`) : path.join(shots, `${name}.png`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      // A wider side bar for one picture only: the next tests meet the default width again.
      const before = sidebarWidth ? (await page().locator('.part.sidebar').boundingBox())?.width : undefined;
      if (sidebarWidth) await resizeSidebar(page(), Number(sidebarWidth));
      await page().mouse.move(900, 700); // no hover highlight in the tree or on the sash
      await page().waitForTimeout(400);
      await page().screenshot({ path: file });
      if (before) await resizeSidebar(page(), Math.round(before));
      console.log(`      [screenshot] ${path.relative(ROOT, file)}`);
      return { file };
    },
    async '/dialog'({ click, timeoutMs }) {
      // A modal dialog of the workbench (showInformationMessage with modal: true): its text, and
      // optionally a click on one of its buttons, as a person would.
      const box = page().locator('.monaco-dialog-box');
      await box.waitFor({ state: 'visible', timeout: Number(timeoutMs) || 10_000 });
      const text = (await box.innerText()).replace(/\u00a0/g, ' ');
      if (typeof click === 'string') {
        await box.locator('.monaco-button', { hasText: click }).first().click();
        await box.waitFor({ state: 'hidden', timeout: 10_000 });
      }
      return { text };
    },
    async '/palette'({ text, enter, timeoutMs }) {
      // F1 and type, as a person: the rows the palette offers; with `enter`, run the first one and
      // return the quick input it opens (its title), then Escape.
      const t = Number(timeoutMs) || 15_000;
      await page().locator('.part.editor').click({ position: { x: 40, y: 300 } });
      await page().keyboard.press('F1');
      const input = page().locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: t });
      await page().keyboard.type(String(text), { delay: 15 });
      const rowsSel = '.quick-input-widget .quick-input-list .monaco-list-row';
      // Wait for a row that holds the typed text; on timeout, return what the palette shows (the test says what it expected).
      await page().waitForFunction(([sel, want]) => [...document.querySelectorAll(sel)].some((r) => (r.getAttribute('aria-label') ?? '').toLowerCase().includes(want.toLowerCase())), [rowsSel, String(text)], { timeout: t }).catch(() => undefined);
      const rows = await page().evaluate((sel) => [...document.querySelectorAll(sel)].sort((a, b) => Number(a.getAttribute('data-index')) - Number(b.getAttribute('data-index'))).map((r) => (r.getAttribute('aria-label') ?? '').replace(/\u00a0/g, ' ')), rowsSel);
      let title;
      if (enter && rows.length) {
        await page().keyboard.press('Enter');
        const titleEl = page().locator('.quick-input-widget .quick-input-title');
        await page().waitForFunction(() => (document.querySelector('.quick-input-widget .quick-input-title')?.textContent ?? '').trim().length > 0, undefined, { timeout: t });
        title = (await titleEl.innerText()).replace(/\u00a0/g, ' ').trim();
      }
      await page().keyboard.press('Escape');
      return { rows, title };
    },
    async '/webview/press'({ selector, keys }) {
      // Keyboard in the active webview, as a person: focus the element (click-free), then press each key.
      if (typeof selector !== 'string' || !Array.isArray(keys)) throw new Error('selector and keys are required');
      const el = page().frameLocator('iframe.webview.ready').frameLocator('#active-frame').locator(selector).first();
      await el.focus({ timeout: 10_000 });
      for (const k of keys) await el.press(String(k));
      return { pressed: keys.length };
    },
    async '/webview/drag'({ selector, dx }) {
      // Mouse drag of an element of the active webview by dx px (Playwright's boxes are in page coordinates).
      const el = page().frameLocator('iframe.webview.ready').frameLocator('#active-frame').locator(selector).first();
      const box = await el.boundingBox({ timeout: 10_000 });
      if (!box) throw new Error(`${selector} is not visible`);
      const x = box.x + box.width / 2;
      const y = box.y + box.height / 2;
      await page().mouse.move(x, y);
      await page().mouse.down();
      await page().mouse.move(x + Number(dx), y, { steps: 8 });
      await page().mouse.up();
      return { from: Math.round(x), to: Math.round(x + Number(dx)) };
    },
    async '/view/title'({ container }) {
      // The side bar's title (one view: "CONTAINER: VIEW") and whether it is cut (scrollWidth > clientWidth).
      return page().evaluate((id) => {
        const bar = document.querySelector('.part.sidebar');
        const h2 = document.querySelector('.part.sidebar .composite.title .title-label h2');
        const viewOpen = Boolean(document.querySelector(`[id="${id}"]`));
        return { text: (h2?.textContent ?? '').trim(), truncated: h2 ? h2.scrollWidth > h2.clientWidth + 1 : undefined, scrollWidth: h2?.scrollWidth, clientWidth: h2?.clientWidth, sidebarWidth: bar ? Math.round(bar.getBoundingClientRect().width) : undefined, viewOpen };
      }, container);
    },
    async '/webview'({ actions }) {
      // Keyboard and mouse in the active webview (nested iframes: the workbench's, then the
      // content frame), as a person would: click a control by its role and accessible name,
      // press keys where the focus is, choose an option of a select.
      if (!Array.isArray(actions)) throw new Error('actions must be an array');
      const frame = page().frameLocator('iframe.webview.ready').last().frameLocator('#active-frame');
      const byRole = (t) => frame.getByRole(t.role, { name: t.name, exact: true }).first();
      for (const a of actions) {
        if (a.click) await byRole(a.click).click();
        else if (a.focus) await byRole(a.focus).focus();
        else if (a.press) await page().keyboard.press(String(a.press));
        else if (a.select) await byRole({ role: 'combobox', name: a.select.name }).selectOption(String(a.select.value));
        else throw new Error(`unknown webview action ${JSON.stringify(a)}`);
      }
      return null;
    },
    async '/notifications'({ includes, timeoutMs }) {
      // The notification toasts as shown (message, buttons), once one's message includes `includes`.
      const handle = await page().waitForFunction(
        (inc) => {
          const toasts = [...document.querySelectorAll('.notifications-toasts .notification-toast')].map((t) => ({
            message: (t.querySelector('.notification-list-item-message')?.textContent ?? '').replace(/\u00a0/g, ' '),
            buttons: [...t.querySelectorAll('.notification-list-item-buttons-container .monaco-button')].map((b) => (b.textContent ?? '').replace(/\u00a0/g, ' ').trim()),
          }));
          return toasts.some((t) => t.message.includes(inc)) ? toasts : false;
        },
        String(includes ?? ''),
        { timeout: Number(timeoutMs) || 20_000, polling: 200 },
      );
      return handle.jsonValue();
    },
    async '/dialog/state'({ timeoutMs }) {
      // The modal dialog as a person sees it: message, detail, the buttons left to right, and which
      // one has the keyboard focus (what Enter presses).
      const box = page().locator('.monaco-dialog-box');
      await box.waitFor({ state: 'visible', timeout: Number(timeoutMs) || 10_000 });
      return box.evaluate((el) => {
        const text = (e) => (e?.textContent ?? '').replace(/\u00a0/g, ' ').trim();
        return {
          message: text(el.querySelector('.dialog-message-text')),
          detail: (el.querySelector('.dialog-message-detail')?.innerText ?? '').replace(/\u00a0/g, ' '),
          buttons: [...el.querySelectorAll('.dialog-buttons .monaco-button')].map((b) => ({ label: text(b), focused: b === document.activeElement })),
        };
      });
    },
    async '/keys'({ keys }) {
      // Key presses as a person makes them (Playwright names: "Enter", "F1", "Control+A"…).
      if (!Array.isArray(keys)) throw new Error('keys must be an array');
      for (const k of keys) await page().keyboard.press(String(k));
      return { pressed: keys.length };
    },
    async '/type'({ text }) {
      await page().keyboard.type(String(text), { delay: 5 });
      return {};
    },
    async '/click'({ selector, text }) {
      // A mouse click on the first visible element matching `selector` (and containing `text`).
      const loc = typeof text === 'string' ? page().locator(String(selector), { hasText: text }) : page().locator(String(selector));
      await loc.first().click();
      return {};
    },
    async '/palette/run'({ command, timeoutMs }) {
      // F1 as a person does: focus the workbench (not a webview), F1, type the command's title,
      // wait for its row, Enter.
      // (the side bar's title: a click there does nothing, and Enter on it later does nothing either)
      await page().locator('.part.sidebar .composite.title .title-label').first().click().catch(() => undefined);
      await page().keyboard.press('F1');
      const input = page().locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      await page().keyboard.type(String(command), { delay: 5 });
      const row = page().locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: String(command) }).first();
      await row.waitFor({ state: 'visible', timeout: Number(timeoutMs) || 10_000 });
      await page().keyboard.press('Enter');
      return {};
    },
    async '/quickinput'({ timeoutMs, hidden, titleIncludes, messageIncludes }) {
      // The quick input (picker or input box): waits until it is shown with that title (and that
      // message), or hidden; returns what it shows.
      const timeout = Number(timeoutMs) || 10_000;
      if (hidden) {
        await page().locator('.quick-input-widget').waitFor({ state: 'hidden', timeout });
        return { visible: false };
      }
      // One function (Playwright evaluates it in the page): what the widget shows, once it matches.
      const handle = await page().waitForFunction(
        ({ t, m }) => {
          const el = document.querySelector('.quick-input-widget');
          if (!el || el.offsetParent === null || getComputedStyle(el).display === 'none') return false;
          const text = (e) => (e?.textContent ?? '').replace(/\u00a0/g, ' ').trim();
          const input = el.querySelector('input');
          const msg = el.querySelector('.quick-input-message');
          const q = {
            visible: true,
            title: text(el.querySelector('.quick-input-title')),
            message: msg && msg.offsetParent !== null ? text(msg) : '',
            value: input?.value ?? '',
            placeholder: input?.getAttribute('placeholder') ?? '',
            rows: [...el.querySelectorAll('.quick-input-list .monaco-list-row')].map((r) => (r.getAttribute('aria-label') ?? '').replace(/\u00a0/g, ' ')),
          };
          return (!t || q.title.includes(t)) && (!m || q.message.includes(m)) ? q : false;
        },
        { t: titleIncludes ?? '', m: messageIncludes ?? '' },
        { timeout, polling: 100 },
      );
      return handle.jsonValue();
    },
    async '/dialog/hidden'({ timeoutMs }) {
      await page().locator('.monaco-dialog-box').waitFor({ state: 'hidden', timeout: Number(timeoutMs) || 10_000 });
      return {};
    },
    async '/statusbar'({ includes, timeoutMs }) {
      // The status bar's items as shown (text without their icons, aria-label), once one's text includes `includes`.
      const handle = await page().waitForFunction(
        (inc) => {
          const items = [...document.querySelectorAll('.part.statusbar .statusbar-item')].map((el) => ({ id: el.id, text: (el.textContent ?? '').replace(/\u00a0/g, ' ').trim(), ariaLabel: (el.getAttribute('aria-label') ?? '').replace(/\u00a0/g, ' ') }));
          return !inc || items.some((i) => i.text.includes(inc)) ? items : false;
        },
        includes ?? '',
        { timeout: Number(timeoutMs) || 10_000, polling: 200 },
      );
      return handle.jsonValue();
    },
    async '/tree/rows'({ container }) {
      return treeRows(page(), container);
    },
    async '/tree/action'({ container, labels, action }) {
      // An inline action of a tree row (an icon button that shows on hover), clicked as a person would.
      if (!Array.isArray(labels) || typeof action !== 'string') throw new Error('labels (array) and action (its title) are required');
      const rows = await treeRows(page(), container);
      const i = findRow(rows, labels);
      if (i < 0) throw new Error(`no row ${labels.join(' / ')} (rows: ${rows.map((r) => r.label).join(', ')})`);
      const row = page().locator(`[id="${container}"] .monaco-list-row[role="treeitem"][data-index="${rows[i].index}"]`);
      await row.hover();
      await row.locator(`.action-label[aria-label^="${action.replace(/"/g, '')}"]`).first().click({ timeout: 10_000 });
      return { clicked: action };
    },
    async '/tree/expand'({ container, labels }) {
      if (!Array.isArray(labels)) throw new Error('labels must be an array');
      for (let depth = 0; depth < labels.length; depth++) {
        const deadline = Date.now() + 10_000;
        for (;;) {
          const rows = await treeRows(page(), container);
          const i = findRow(rows, labels.slice(0, depth + 1));
          if (i >= 0 && rows[i].expanded !== false) break; // expanded, or a leaf
          if (Date.now() > deadline) throw new Error(`no collapsible row ${labels.slice(0, depth + 1).join(' / ')} (rows: ${rows.map((r) => `${'  '.repeat(r.level - 1)}${r.label}`).join(', ')})`);
          if (i >= 0) await page().locator(`[id="${container}"] .monaco-list-row[role="treeitem"][data-index="${rows[i].index}"]`).click();
          await page().waitForTimeout(200);
        }
      }
      return treeRows(page(), container);
    },
  };
  const driver = http.createServer(async (req, res) => {
    try {
      const route = routes[new URL(req.url, 'http://x').pathname];
      if (req.method !== 'POST' || !route) {
        res.writeHead(404).end('not found');
        return;
      }
      if (!testPage) throw new Error('no page yet');
      let body = '';
      for await (const chunk of req) body += chunk;
      const result = await route(body ? JSON.parse(body) : {});
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result ?? null));
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err?.message ?? err));
    }
  });
  return new Promise((resolve, reject) => {
    driver.once('error', reject);
    driver.listen(0, '127.0.0.1', () =>
      resolve({
        driver,
        setPage: (p, url) => {
          testPage = p;
          personUrl = url;
          personPage = undefined;
        },
      }),
    );
  });
}

/** Drags the sash right of the primary side bar so the side bar is `width` px wide. */
async function resizeSidebar(page, width) {
  const box = await page.locator('.part.sidebar').boundingBox();
  if (!box || Math.abs(box.width - width) < 2) return;
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width, y);
  await page.mouse.down();
  await page.mouse.move(box.x + width, y, { steps: 5 });
  await page.mouse.up();
  await page.waitForTimeout(200);
}

async function treeRows(page, container = 'workbench.view.extension.gitopsDeploy') {
  const rows = await page.evaluate((id) => {
    const text = (el) => (el?.textContent ?? '').replace(/\u00a0/g, ' ').trim();
    return [...document.querySelectorAll(`[id="${id}"] .monaco-list-row[role="treeitem"]`)].map((el) => ({
      index: Number(el.getAttribute('data-index')),
      label: text(el.querySelector('.label-name')),
      description: text(el.querySelector('.label-description')),
      ariaLabel: (el.getAttribute('aria-label') ?? '').replace(/\u00a0/g, ' '),
      level: Number(el.getAttribute('aria-level')) || 1,
      expanded: el.hasAttribute('aria-expanded') ? el.getAttribute('aria-expanded') === 'true' : undefined,
      // The label and description share one container that ends in an ellipsis when cut.
      truncated: (() => {
        const c = el.querySelector('.monaco-icon-label-container');
        return c ? c.scrollWidth > c.clientWidth + 1 : false;
      })(),
    }));
  }, container);
  return rows.sort((a, b) => a.index - b.index);
}

function findRow(rows, labels) {
  let from = 0;
  let found = -1;
  for (const [depth, label] of labels.entries()) {
    found = -1;
    for (let i = from; i < rows.length; i++) {
      if (rows[i].level < depth + 1) break;
      if (rows[i].level === depth + 1 && rows[i].label === label) {
        found = i;
        from = i + 1;
        break;
      }
    }
    if (found < 0) return -1;
  }
  return found;
}

let code = 1;
try {
  code = await main();
} catch (err) {
  console.error(`\n[e2e] error: ${err?.stack ?? err}`);
  code = 1;
} finally {
  await cleanup();
}
console.log(`[e2e] ${code === 0 ? 'passed' : 'FAILED'} in ${seconds(Date.now() - started)}`);
process.exit(code);
