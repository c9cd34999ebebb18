// End to end on the real desktop app: the built `kubeask-desktop` binary
// under Xvfb, driven through WebDriver (tauri-driver + Debian's
// WebKitWebDriver), against two demo clusters served by `kubeask demo`.
// Asks a sample question and checks the short answer; opens the quick
// window on the global shortcut (xdotool) and asks there; reads and clicks
// the tray menu over D-Bus as a desktop shell does (tests/e2e/tray_host.py);
// switches context from the tray and from the Cluster panel; sees a pod
// deleted with kubectl leave the open panel (pushed cluster status); opens
// the Models panel and checks the hardware summary; and saves a screenshot
// of each screen. Also measures (prints) cold start to first
// painted window, memory of the process tree idle and with the Gemma 270M
// model loaded from the Models panel, and frame gaps while a model-mode
// answer streams. No npm packages: WebDriver is HTTP + JSON.
//
//   node tests/e2e/desktop.mjs   (src-tauri/tests/desktop.rs runs it under cargo test)
import { spawn, execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import net from 'node:net';
import http from 'node:http';

const target = process.env.CARGO_TARGET_DIR || resolve('target');
const app = process.env.KUBEASK_E2E_APP || join(target, 'debug', 'kubeask-desktop');
const cli = process.env.KUBEASK_E2E_CLI || join(target, 'debug', 'kubeask');
const e2eDir = new URL('.', import.meta.url).pathname;
const shots = resolve(process.env.KUBEASK_E2E_SHOTS || join(target, 'e2e-screenshots'));
mkdirSync(shots, { recursive: true });
for (const f of readdirSync(shots)) if (f.endsWith('.png')) rmSync(join(shots, f));
const children = [];
let failed = 0;

function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failed++;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function freePort() {
  return new Promise((res) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); });
  });
}
async function waitPort(port, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const ok = await new Promise((res) => {
      const c = net.connect(port, '127.0.0.1', () => { c.end(); res(true); });
      c.on('error', () => res(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`nothing listens on ${port}`);
}
function run(cmd, args, env) {
  const p = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  p.stdout.on('data', () => {});
  p.stderr.on('data', (d) => { if (process.env.KUBEASK_E2E_VERBOSE) process.stderr.write(d); });
  children.push(p);
  return p;
}
let home = '';
// NB: the temporary HOME holds a copy of the test model (~250 MB): it goes
// with the run unless KUBEASK_E2E_KEEP asks to look at it.
function cleanup() {
  for (const c of children.reverse()) { try { c.kill('SIGTERM'); } catch {} }
  if (home && !process.env.KUBEASK_E2E_KEEP) { try { rmSync(home, { recursive: true, force: true }); } catch {} }
}
process.on('exit', cleanup);

// Two demo clusters; the second's context renamed to `staging`.
home = mkdtempSync(join(tmpdir(), 'kubeask-e2e-'));
const kcA = join(home, 'a.yaml');
const kcB = join(home, 'b.yaml');
// A third cluster with exactly one critical problem, for notifications.
const kcC = join(home, 'c.yaml');
run(cli, ['demo', '--kubeconfig', kcA], { HOME: home });
run(cli, ['demo', '--kubeconfig', kcB], { HOME: home });
run(cli, ['demo', '--fixture', join(e2eDir, '../fixtures/one-crash'), '--kubeconfig', kcC], { HOME: home });
for (let i = 0; i < 100; i++) {
  try { readFileSync(kcA); readFileSync(kcB); readFileSync(kcC); break; } catch { await sleep(100); }
}
await sleep(300);
writeFileSync(kcB, readFileSync(kcB, 'utf8').replaceAll('kubeask-demo', 'staging'));

// Xvfb on a display nobody uses, then tauri-driver.
const display = `:${90 + Math.floor(Math.random() * 800)}`;
run('Xvfb', [display, '-screen', '0', '1280x800x24', '-nolisten', 'tcp']);
await sleep(500);
const baseEnv = {
  DISPLAY: display, HOME: home, XDG_DATA_HOME: join(home, 'data'), XDG_CONFIG_HOME: join(home, 'config'),
  NO_AT_BRIDGE: '1', WEBKIT_DISABLE_COMPOSITING_MODE: '1',
};
let base = '';
let sid = '';
async function wd(method, path, body, ms = 30000) {
  if (process.env.KUBEASK_E2E_VERBOSE) console.log(new Date().toISOString(), method, path.replace(/\/session\/[^/]+/, ''), JSON.stringify(body ?? '').slice(0, 80));
  const r = await fetch(base + path, { method, headers: { 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined, signal: AbortSignal.timeout(ms) });
  const j = await r.json();
  if (j.value && j.value.error) throw new Error(`${path}: ${j.value.error}: ${j.value.message}`);
  return j.value;
}
async function startDriver(env) {
  const port = await freePort();
  const native = await freePort();
  const driver = run(process.env.TAURI_DRIVER || join(process.env.HOME, '.cargo', 'bin', 'tauri-driver'),
    ['--port', String(port), '--native-port', String(native)], env);
  // tauri-driver listens before the WebKitWebDriver it spawns does, and
  // drops the connection of a request it cannot forward ("fetch failed"
  // under load): wait for both.
  await waitPort(port, 15000);
  await waitPort(native, 15000);
  base = `http://127.0.0.1:${port}`;
  return driver;
}
async function openApp() {
  const caps = { capabilities: { alwaysMatch: { browserName: 'wry', 'tauri:options': { application: app } } } };
  // A dropped connection (not a WebDriver error) is retried: the native
  // driver may still be starting.
  for (let attempt = 1; ; attempt++) {
    try { sid = (await wd('POST', '/session', caps, 60000)).sessionId; return; }
    catch (e) { if (attempt >= 3 || !/fetch failed/.test(String(e && e.message))) throw e; await sleep(1000); }
  }
}
async function closeApp(driver) {
  await Promise.race([wd('DELETE', S('')).catch(() => {}), sleep(3000)]);
  try { driver.kill('SIGTERM'); } catch {}
  await sleep(500);
  // The app is a single instance per session bus: the next start must not
  // find this one still running.
  for (let i = 0; i < 50; i++) {
    try { execFileSync('pgrep', ['-f', `^${app}`], { stdio: 'pipe' }); } catch { return; }
    if (i === 20) { try { execFileSync('pkill', ['-KILL', '-f', `^${app}`], { stdio: 'pipe' }); } catch {} }
    await sleep(100);
  }
}
const S = (p) => `/session/${sid}${p}`;
const ELEM = 'element-6066-11e4-a52e-4f735466cecc';
// WebKitWebDriver may answer with the legacy key: take whichever is there.
const idOf = (e) => e[ELEM] ?? e.ELEMENT ?? Object.values(e)[0];
async function find(css, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    try { const e = await wd('POST', S('/element'), { using: 'css selector', value: css }); return idOf(e); }
    catch (err) { if (Date.now() > end) throw err; await sleep(150); }
  }
}
async function findText(xpathText, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const e = await wd('POST', S('/element'), { using: 'xpath', value: `//*[self::button or self::a or self::option][normalize-space(.)='${xpathText}']` });
      return idOf(e);
    } catch (err) { if (Date.now() > end) throw err; await sleep(150); }
  }
}
const text = async (id) => wd('GET', S(`/element/${id}/text`));
const click = async (id) => wd('POST', S(`/element/${id}/click`), {});
async function until(fn, ms, what) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) { try { last = await fn(); if (last) return last; } catch {} await sleep(200); }
  throw new Error(`timed out waiting for ${what} (last: ${last})`);
}
// WebKitWebDriver's screenshot never answers on some screens (Settings,
// Models with a model loaded; not understood): after 8 s the X screen is
// saved instead.
async function shot(name) {
  const out = join(shots, `${name}.png`);
  try {
    writeFileSync(out, Buffer.from(await wd('GET', S('/screenshot'), undefined, 8000), 'base64'));
  } catch {
    execFileSync('/usr/bin/python3', [join(e2eDir, 'xshot.py'), out], { env: { ...process.env, DISPLAY: display } });
    console.log(`${name}: WebDriver's screenshot did not answer; saved the X screen`);
  }
}
function treeMemory(rootPid) {
  // The app and every process below it (WebKit's web and network
  // processes): RSS, and PSS (shared pages split between their users, so
  // the sum over processes is what the app really costs).
  const all = execFileSync('ps', ['-eo', 'pid=,ppid=,rss=']).toString().trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
  const kids = new Map();
  for (const [pid, ppid] of all) { if (!kids.has(ppid)) kids.set(ppid, []); kids.get(ppid).push(pid); }
  const rss = new Map(all.map(([pid, , r]) => [pid, r]));
  const pss = (pid) => {
    try { return Number((readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').match(/^Pss:\s+(\d+)/m) || [0, 0])[1]); } catch { return 0; }
  };
  let r = 0; let p = 0; const stack = [rootPid];
  while (stack.length) { const q = stack.pop(); r += rss.get(q) || 0; p += pss(q); stack.push(...(kids.get(q) || [])); }
  return `${(r / 1024).toFixed(0)} MiB RSS, ${(p / 1024).toFixed(0)} MiB PSS`;
}

// The tray, as a desktop shell sees it: a private session bus with
// tests/e2e/tray_host.py as the StatusNotifierWatcher; the app's AppIndicator
// registers there and its menu is read and clicked over dbusmenu.
function startTrayHost() {
  const [address, pid] = execFileSync('dbus-daemon', ['--session', '--fork', '--print-address=1', '--print-pid=1']).toString().trim().split('\n');
  process.on('exit', () => { try { process.kill(Number(pid)); } catch {} });
  const host = spawn('/usr/bin/python3', [join(e2eDir, 'tray_host.py')],
    { env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: address }, stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(host);
  const lines = [];
  let waiter = null;
  let buf = '';
  host.stdout.on('data', (d) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const msg = JSON.parse(buf.slice(0, i)); buf = buf.slice(i + 1);
      if (msg.event === 'registered') { host.registered = true; host.registrations = (host.registrations || 0) + 1; }
      if (msg.event) continue;
      lines.push(msg);
      if (waiter) { waiter(); waiter = null; }
    }
  });
  host.ask = async (cmd) => {
    host.stdin.write(`${cmd}\n`);
    while (!lines.length) await Promise.race([new Promise((r) => { waiter = r; }), sleep(10000).then(() => { throw new Error(`the tray host did not answer ${cmd}`); })]);
    const msg = lines.shift();
    if (msg.error) throw new Error(`tray: ${msg.error}`);
    return msg;
  };
  host.address = address;
  return host;
}
const entry = (menu, label) => menu.find((e) => e.label === label);
const checkedContext = (menu) => (entry(menu, 'Contexts')?.children || []).filter((c) => c.checked).map((c) => c.label).join(',');
function quickVisible() {
  try {
    execFileSync('xdotool', ['search', '--onlyvisible', '--name', '^Kubeask quick query$'], { env: { ...process.env, DISPLAY: display }, stdio: 'pipe' });
    return true;
  } catch { return false; }
}
const toWindow = (handle) => wd('POST', S('/window'), { handle });
// The newest short answer, once it is there: a new turn (main window) or
// new text in the one answer line (quick window).
async function lastShort(prev = { n: 0, text: '' }) {
  const els = await wd('POST', S('/elements'), { using: 'css selector', value: '.short-answer' });
  if (!els.length) return null;
  const t = (await text(idOf(els[els.length - 1]))).trim();
  return t && t !== '…' && (els.length > prev.n || t !== prev.text) ? t : null;
}
async function shortState() {
  const els = await wd('POST', S('/elements'), { using: 'css selector', value: '.short-answer' });
  return { n: els.length, text: els.length ? (await text(idOf(els[els.length - 1]))).trim() : '' };
}

async function pickInDialog(title, path) {
  const env = { ...process.env, DISPLAY: display };
  const win = await until(async () => {
    try { return execFileSync('xdotool', ['search', '--onlyvisible', '--name', `^${title}$`], { env, stdio: 'pipe' }).toString().trim().split('\n')[0]; }
    catch { return null; }
  }, 20000, `the "${title}" dialog`);
  await sleep(500);
  execFileSync('xdotool', ['windowfocus', '--sync', win], { env });
  execFileSync('xdotool', ['key', '--clearmodifiers', 'ctrl+l'], { env });
  await sleep(300);
  execFileSync('xdotool', ['type', '--delay', '10', path], { env });
  await sleep(300);
  execFileSync('xdotool', ['key', 'Return'], { env });
}

async function askShort(question, ms = 60000) {
  const before = await shortState();
  const q = await find('#question');
  await wd('POST', S(`/element/${q}/value`), { text: `${question}\uE007` });
  return until(async () => lastShort(before), ms, 'a short answer');
}

try {
  // No kubeconfig at all: the app offers (and uses) its demo cluster and
  // answers in direct mode with no model.
  mkdirSync(join(home, 'empty'), { recursive: true });
  let driver = await startDriver({ ...baseEnv, HOME: join(home, 'empty'), XDG_DATA_HOME: join(home, 'empty', 'data'), KUBECONFIG: '' });
  await openApp();
  const banner = await find('#demo-banner');
  const shown = await until(async () => (await wd('GET', S(`/element/${banner}/displayed`))) === true, 30000, 'the demo banner').catch(() => false);
  check(shown === true, 'with no kubeconfig the app shows the demo offer');
  const demoShort = await askShort('How many pods are in the shop namespace?');
  check(demoShort === '17', `with no kubeconfig and no model it answers in direct mode: ${JSON.stringify(demoShort)} (expected "17")`);
  await shot('demo');
  await closeApp(driver);

  // Two clusters: ask, switch context, models.
  const tray = startTrayHost();
  // The system browser, as the app sees it: an xdg-open that notes the URL.
  const fakeBin = join(home, 'bin');
  const browserLog = join(home, "opened.txt");
  mkdirSync(fakeBin, { recursive: true });
  writeFileSync(join(fakeBin, 'xdg-open'), `#!/bin/sh\necho "$1" >> '${browserLog}'\n`, { mode: 0o755 });
  driver = await startDriver({ ...baseEnv, KUBECONFIG: `${kcA}:${kcB}`, DBUS_SESSION_BUS_ADDRESS: tray.address, PATH: `${fakeBin}:${process.env.PATH}` });
  const started = Date.now();
  await openApp();
  await find('#question');
  const painted = Date.now() - started;
  console.log(`cold start to a painted window with the question box: ${painted} ms`);
  await sleep(1500);
  const startPid = Number(execFileSync('pgrep', ['-n', '-f', app]).toString().trim());
  console.log(`memory after start, whole process tree, before the quick window is first opened: ${treeMemory(startPid)}`);
  await shot('ask-empty');

  // Ask a sample question; the short answer is the number of nodes.
  const short = await askShort('How many nodes does my cluster have?');
  check(short === '3', `sample question answered: short answer ${JSON.stringify(short)} (expected "3")`);
  const bannerNow = await wd('GET', S(`/element/${await find('#demo-banner')}/displayed`));
  check(bannerNow === false, 'with a kubeconfig there is no demo offer');

  // A link in an answer opens in the system browser; the window stays on
  // the app, whether the link is clicked or a script tries to navigate.
  const appUrl = await wd('GET', S('/url'));
  const link = await wd('POST', S('/execute/sync'), { script: `const a = document.createElement('a');
    a.href = 'https://kubernetes.io/docs/e2e-click'; a.textContent = 'docs'; a.id = 'e2e-link';
    [...document.querySelectorAll('.explanation, .short-answer')].pop().append(a); return a;`, args: [] });
  await click(idOf(link));
  await wd('POST', S('/execute/sync'), { script: "setTimeout(() => { location.href = 'https://example.org/e2e-script'; }, 0); return true;", args: [] });
  const sent = await until(async () => {
    const t = readFileSync(browserLog, "utf8");
    return t.includes('e2e-click') && t.includes('e2e-script') ? t : null;
  }, 10000, 'links handed to the browser').catch(() => (() => { try { return readFileSync(browserLog, "utf8"); } catch { return ''; } })());
  check(sent.includes('https://kubernetes.io/docs/e2e-click'), 'a clicked link in an answer opens in the system browser');
  check(sent.includes('https://example.org/e2e-script'), 'a script navigation is refused and handed to the browser');
  await sleep(300);
  const stillApp = await wd('GET', S('/url'));
  check(stillApp === appUrl && !!(await find('#question', 3000)), `the window stays on the app (${stillApp})`);
  await shot('ask');

  const mainWindow = await wd('GET', S('/window'));

  // The quick-query window on the global shortcut (a real X key press):
  // asks the current context, shows the short answer, hides on Esc.
  execFileSync('xdotool', ['key', 'ctrl+shift+k'], { env: { ...process.env, DISPLAY: display } });
  check(await until(async () => quickVisible(), 10000, 'the quick window').catch(() => false), 'Ctrl+Shift+K opens the quick-query window');
  const quickWindow = (await wd('GET', S('/window/handles'))).find((h) => h !== mainWindow);
  await toWindow(quickWindow);
  const quickShort = await askShort('How many pods are in the shop namespace?');
  check(quickShort === '17', `the quick window answers the current context: ${JSON.stringify(quickShort)} (expected "17")`);
  // (The quick window keeps the last question in its box: clear it first.)
  await wd('POST', S(`/element/${await find('#question')}/clear`), {});
  const fleetShort = await askShort('which clusters have crash loops?');
  check(/^kubeask-demo \(\d+\), staging \(\d+\)$/.test(fleetShort), `the quick window asks every context at once: ${JSON.stringify(fleetShort)}`);
  check(await wd('GET', S(`/element/${await find('#open-main')}/displayed`)) === true, 'the quick window links to the full answer');
  await shot('quick');
  await wd('POST', S(`/element/${await find('#question')}/value`), { text: '\uE00C' });
  check(await until(async () => !quickVisible(), 10000, 'the quick window to hide').catch(() => false), 'Esc hides the quick window');

  // The tray menu as a desktop shell shows it.
  await until(async () => tray.registered, 15000, 'the tray icon to register').catch(() => false);
  check(tray.registered === true, 'the app registers a tray icon (StatusNotifierItem)');
  let menu = (await tray.ask('menu')).menu;
  const labels = menu.filter((e) => e.type !== 'separator').map((e) => e.label);
  check(JSON.stringify(labels) === JSON.stringify(['Quick query', 'Contexts', 'Health', 'Open Kubeask', 'Quit']), `tray menu: ${labels.join(' | ')}`);
  const health = await until(async () => {
    const h = (entry((await tray.ask('menu')).menu, 'Health')?.children || []).map((c) => c.label);
    return h.length === 2 && !h.some((l) => /checking/.test(l)) ? h : null;
  }, 30000, 'the tray health lines').catch(() => []);
  check(health.some((l) => /^kubeask-demo — \d+ critical.*\(worst: /.test(l)) && health.some((l) => /^staging — \d+ critical/.test(l)),
    `tray Health shows each context's worst problem: ${health.join(' | ')}`);
  const ctxs = (entry(menu, 'Contexts')?.children || []).map((c) => `${c.label}${c.checked ? ' ✓' : ''}`);
  check(JSON.stringify(ctxs) === JSON.stringify(['kubeask-demo ✓', 'staging']), `tray contexts submenu, current checked: ${ctxs.join(', ')}`);

  // Tray → Quick query, then "Open in Kubeask": the main window asks it.
  await tray.ask('click Quick query');
  check(await until(async () => quickVisible(), 10000, 'the quick window').catch(() => false), 'tray "Quick query" opens the quick window');
  await toWindow(quickWindow);
  await askShort('How many namespaces are there?');
  await toWindow(mainWindow);
  const turnsBefore = await shortState();
  await toWindow(quickWindow);
  await click(await find('#open-main'));
  await toWindow(mainWindow);
  const opened = await until(async () => lastShort(turnsBefore), 30000, 'the question opened in the main window').catch(() => null);
  const turnQuestion = await wd('POST', S('/execute/sync'), { script: "const q = document.querySelectorAll('.turn .question'); return q.length ? q[q.length - 1].textContent : '';", args: [] });
  check(opened !== null && /namespaces/i.test(turnQuestion) && !quickVisible(), `"Open in Kubeask" asks it in the main window and hides the quick window (${JSON.stringify(opened)})`);

  // Cluster panel, then a context switch from the tray: the open panel
  // follows (switcher, health line), and the tray's checkmark moves.
  await click(await findText('Cluster'));
  await until(async () => /^kubeask-demo:/.test((await text(await find('#health', 5000))).trim()), 30000, 'the cluster view');
  await shot('cluster');
  await tray.ask('click Contexts/staging');
  const followed = await until(async () => {
    const sel = await wd('POST', S('/execute/sync'), { script: "const s = document.getElementById('context'); return s.options[s.selectedIndex]?.textContent + ' / ' + document.getElementById('health').textContent + ' / ' + document.getElementById('context-badge')?.textContent;", args: [] });
    return /^staging \(current\) \/ staging:.* \/ staging$/.test(sel) ? sel : null;
  }, 30000, 'the panel to follow the tray').catch((e) => e.message);
  check(/^staging/.test(followed), `tray "Contexts → staging" switches: the Cluster panel, its health line and the badge follow (${followed})`);
  menu = (await tray.ask('menu')).menu;
  check(checkedContext(menu) === 'staging', `the tray marks staging current (${checkedContext(menu)})`);
  await shot('cluster-staging');

  // Back to the first context from the panel's switcher; the tray follows.
  const opt = await wd('POST', S('/element'), { using: 'xpath', value: "//select[@id='context']//option[starts-with(normalize-space(.),'kubeask-demo')]" });
  await click(idOf(opt));
  const back = await until(async () => /^kubeask-demo:/.test((await text(await find('#health', 5000))).trim()), 30000, 'the switch back').catch(() => false);
  const trayBack = await until(async () => checkedContext((await tray.ask('menu')).menu) === 'kubeask-demo', 10000, 'the tray checkmark').catch(() => false);
  check(back === true && trayBack === true, 'switching in the Cluster panel moves the tray checkmark back to kubeask-demo');

  // Cluster status is pushed: a pod deleted with kubectl leaves the open
  // panel's pods table with no Refresh click.
  const victim = execFileSync('kubectl', ['--kubeconfig', kcA, 'get', 'pods', '-n', 'shop', '-o', 'jsonpath={.items[0].metadata.name}']).toString().trim();
  const podsText = async () => text(await find('#pods', 5000));
  const listed = (await podsText()).includes(victim);
  execFileSync('kubectl', ['--kubeconfig', kcA, 'delete', 'pod', '-n', 'shop', victim, '--wait=false'], { stdio: 'pipe' });
  const gone = await until(async () => !(await podsText()).includes(victim), 20000, `${victim} to leave the pods table`).catch(() => false);
  check(listed && gone === true, `a pod deleted with kubectl (${victim}) leaves the open Cluster panel without a refresh`);

  // Security: the posture findings grouped by namespace, the same count
  // the CLI's `diagnose --security` reports for the same context.
  await click(await findText('Security'));
  const secSummary = await until(async () => { const t = await text(await find('#security-summary', 5000)); return /^\d+ findings/.test(t) ? t : null; }, 30000, 'the security view');
  const groupsText = await text(await find('#security-groups'));
  const cliFindings = JSON.parse(execFileSync(cli, ['diagnose', '--security', '--json'], { env: { ...process.env, HOME: home, KUBECONFIG: kcA }, stdio: ['ignore', 'pipe', 'ignore'] }).toString());
  check(secSummary.startsWith(`${cliFindings.length} findings`) && /kube-system/.test(groupsText) && /host-path/.test(groupsText),
    `the Security view groups the posture findings by namespace, as many as the CLI finds (${secSummary}; CLI ${cliFindings.length})`);
  await shot('security');

  // Cost: the same monthly total as `kubeask cost` on the same context.
  await click(await findText('Cost'));
  const costTotal = await until(async () => { const t = await text(await find('#cost-total', 5000)); return /\$[\d.]+ a month/.test(t) ? t : null; }, 30000, 'the cost view');
  const cliCost = JSON.parse(execFileSync(cli, ['cost', '--json'], { env: { ...process.env, HOME: home, KUBECONFIG: kcA }, stdio: ['ignore', 'pipe', 'ignore'] }).toString());
  const basis = await text(await find('#cost-basis'));
  check(costTotal.includes(`$${cliCost.report.total.toFixed(2)} a month`) && /default list prices/.test(basis),
    `the Cost view shows the CLI's monthly total and says what it is based on (${costTotal}; CLI $${cliCost.report.total.toFixed(2)})`);
  // Your prices: saved for this context, the view redraws at them.
  await wd('POST', S('/execute/sync'), { script: "document.getElementById('price-cpu').value = '0.1'; document.getElementById('price-mem').value = '0.01'; document.getElementById('price-storage').value = '0.1'; document.getElementById('price-lb').value = '20'; return true;", args: [] });
  await click(await find('#price-save'));
  const repriced = await until(async () => { const b = await text(await find('#cost-basis')); return /at your prices/.test(b) && !/Set your prices/.test(b) ? await text(await find('#cost-total')) : null; }, 20000, 'the view at your prices').catch(() => null);
  const cliRepriced = JSON.parse(execFileSync(cli, ['cost', '--json'], { env: { ...process.env, HOME: home, XDG_DATA_HOME: join(home, 'data'), KUBECONFIG: kcA }, stdio: ['ignore', 'pipe', 'ignore'] }).toString());
  check(repriced !== null && repriced !== costTotal && cliRepriced.your_prices === true && repriced.includes(`$${cliRepriced.report.total.toFixed(2)}`),
    `prices saved in the Cost view are the context's prices for the CLI too (${repriced}; CLI $${cliRepriced.report.total.toFixed(2)})`);
  await shot('cost');

  // History: forecasts, right-sizing, a workload's charts (uPlot canvases)
  // and the incident timeline, from the demo's Prometheus; the forecasts
  // are the CLI's for the same context.
  await click(await findText('History'));
  const forecastText = await until(async () => { const t = await text(await find('#history-forecasts', 5000)); return /payments-api/.test(t) ? t : null; }, 60000, 'the forecasts');
  const cliForecast = JSON.parse(execFileSync(cli, ['forecast', '--json'], { env: { ...process.env, HOME: home, KUBECONFIG: kcA }, stdio: ['ignore', 'pipe', 'ignore'] }).toString());
  const cliSoon = cliForecast.forecasts.filter((f) => f.eta).length + cliForecast.volumes.filter((v) => v.eta).length;
  const js = (script) => wd('POST', S('/execute/sync'), { script, args: [] });
  const viewSoon = await js("return document.querySelectorAll('#history-forecasts li').length;");
  check(/memory limit/.test(forecastText) && viewSoon === cliSoon, `the History view forecasts the planted leak, as many forecasts as the CLI (${viewSoon}; CLI ${cliSoon})`);
  const rows = await js("return [...document.querySelectorAll('#history-sizing tr')].map((r) => [...r.cells].map((c) => c.textContent));");
  check(rows.some((r) => r[0] === 'shop/Deployment/recommendations' && r[2] === 'over'), 'the right-sizing table marks the over-provisioned workload');
  await js("const s = document.getElementById('history-workload'); const o = [...s.options].find((o) => o.textContent.includes('payments-api')); if (o) { s.value = o.value; s.dispatchEvent(new Event('change')); } return !!o;");
  const charted = await until(async () => {
    const t = await text(await find('#history-charts', 5000));
    const n = (await wd('POST', S('/elements'), { using: 'css selector', value: '#history-charts canvas' })).length;
    return /payments-api — memory/.test(t) && /payments-api — CPU/.test(t) && n >= 2 ? n : null;
  }, 30000, 'the charts of payments-api').catch(() => 0);
  check(charted >= 2, `payments-api's memory and CPU are charted with their limit and forecast band (${charted} canvases)`);
  const summaries = await until(async () => {
    const s = await js("return [...document.querySelectorAll('#history-timeline summary')].map((e) => e.textContent);");
    return s.length ? s : null;
  }, 30000, 'the timeline').catch(() => []);
  check(summaries.some((t) => t.startsWith('Deployment/recommendations: rollout → scaled → image pull failure')),
    `the timeline tells the planted incident (${summaries.slice(0, 4).join(' | ')})`);
  await shot('history');
  await wd('POST', S('/execute/sync'), { script: "document.getElementById('history-timeline').scrollIntoView(); return true;", args: [] });
  await shot('history-timeline');
  const raised = (await tray.ask('notifications')).notifications;
  console.log(`notifications on the sample cluster's first look: ${raised.length} (${raised.map((n) => n.summary).join(' | ')})`);

  // Manifest: the form writes the YAML, Check validates it on the cluster
  // (strict parsing, security, the server's dry run); nothing is applied.
  await click(await findText('Manifest'));
  const type = async (css, value) => wd('POST', S(`/element/${await find(css)}/value`), { text: value });
  await type('#wl-name', 'e2e-web');
  await type('#wl-image', 'nginx:1.27');
  await wd('POST', S('/execute/sync'), { script: "const n = document.getElementById('wl-namespace'); n.value = 'shop'; document.getElementById('wl-port').value = '80'; return true;", args: [] });
  await click(await find('#wl-service'));
  await click(await find('#wl-render'));
  const written = await until(async () => { const v = await wd('POST', S('/execute/sync'), { script: "return document.getElementById('manifest-text').value;", args: [] }); return /kind: Service/.test(v) ? v : null; }, 15000, 'the written manifest');
  await click(await find('#manifest-check'));
  const mStatus = await until(async () => { const t = await text(await find('#manifest-status')); return /Valid|Not valid|error/i.test(t) ? t : null; }, 30000, 'the manifest check');
  const mResults = await text(await find('#manifest-results'));
  const notApplied = (() => { try { execFileSync('kubectl', ['--kubeconfig', kcA, 'get', 'deploy', 'e2e-web', '-n', 'shop'], { stdio: 'pipe' }); return false; } catch { return true; } })();
  check(/kind: Deployment/.test(written) && /^Valid on kubeask-demo/.test(mStatus) && (mResults.match(/a new object/g) || []).length === 2 && notApplied,
    `the Manifest panel writes a Deployment and Service from the form, the server dry-runs both, nothing is applied (${mStatus})`);
  await shot('manifest');
  await click(await findText('Cluster'));

  // Fix…: a finding's proposed change, planned (dry run, permissions),
  // confirmed in the dialog, applied, in the audit list; kubectl agrees.
  // Actions are off while Settings → Read-only is on (the default).
  // Read-only is enforced where changes are made, not only in the UI: a
  // page that calls apply directly is refused.
  const roRefused = await wd('POST', S('/execute/async'), { script: `const done = arguments[arguments.length - 1];
    window.__TAURI_INTERNALS__.invoke('apply_plan', { planId: 'any' }).then(() => done('applied'), (e) => done(JSON.stringify(e)));`, args: [] });
  check(/READ_ONLY/.test(String(roRefused)), `with Read-only on, apply_plan is refused by the app (${roRefused})`);
  await click(await findText('Settings'));
  const ro = await find('#read-only');
  if (await wd('GET', S(`/element/${ro}/selected`))) await click(ro);
  await until(async () => /Saved/.test(await text(await find('#settings-status'))), 10000, 'the settings to save');
  await click(await findText('Cluster'));
  const oom = "//details[summary[contains(., 'OOMKilled')]]";
  const oomSummary = await until(async () => idOf(await wd('POST', S('/element'), { using: 'xpath', value: `${oom}/summary` })), 30000, 'the OOMKilled finding');
  await click(oomSummary);
  const fixButton = idOf(await wd('POST', S('/element'), { using: 'xpath', value: `${oom}//button[contains(@class,'fix-button')]` }));
  const tFix = Date.now();
  await click(fixButton);
  const planned = await until(async () => { const t = await text(await find('#plan-summary', 5000)); return t && t !== 'Planning…' ? t : null; }, 30000, 'the plan');
  const msPlan = Date.now() - tFix;
  const diffText = await text(await find('#plan-diff'));
  check(/set the resources/.test(planned) && /resources\.limits\.memory/.test(diffText), `Fix… shows the plan with the dry run's diff (${planned}; ${diffText.replace(/\s+/g, ' ').slice(0, 90)})`);
  await shot('fix-plan');
  const tApply = Date.now();
  await click(await find('#plan-apply'));
  const applied = await until(async () => { const t = await text(await find('#plan-result')); return /Done|not converged|error|refused|cannot/i.test(t) && !/Applying/.test(t) ? t : null; }, 60000, 'the result');
  const msApply = Date.now() - tApply;
  check(/^Done/.test(applied), `confirming applies it and waits for the rollout (${applied})`);
  const auditText = await until(async () => { const t = await text(await find('#audit')); return /set the resources/.test(t) ? t : null; }, 10000, 'the audit entry').catch(() => '');
  check(/applied/.test(auditText), `the change is in the Actions list (audit log): ${auditText.split('\n')[0].slice(0, 100)}`);
  const [, fixNs, fixName] = planned.match(/of deployment ([^/\s]+)\/([^\s:]+)/) || [];
  const limit = execFileSync('kubectl', ['--kubeconfig', kcA, 'get', 'deployment', fixName || '?', '-n', fixNs || '?', '-o', 'jsonpath={.spec.template.spec.containers[0].resources.limits.memory}']).toString().trim();
  check(diffText.includes(limit), `kubectl sees the new memory limit (${limit})`);
  console.log(`Fix… to a shown plan (dry run and permission check included): ${msPlan} ms; confirm to converged: ${msApply} ms`);
  await click(await find('#plan-close'));

  // Models panel: the hardware summary.
  await click(await findText('Models'));
  const hw = await until(async () => { const t = await text(await find('#hardware', 5000)); return /GB|GiB|cores?/i.test(t) ? t : null; }, 30000, 'the hardware summary');
  check(/core/i.test(hw), `models panel shows the hardware summary (${hw.replace(/\s+/g, ' ').slice(0, 80)}…)`);
  await shot('models');

  // Idle memory of the whole process tree, no model loaded.
  const pid = Number(execFileSync('pgrep', ['-n', '-f', app]).toString().trim());
  await sleep(1500);
  console.log(`idle memory, whole process tree, no model: ${treeMemory(pid)}`);

  // With the real Gemma 3 270M (the test setup assembles it): import it
  // through the Models panel, load it, measure memory, then measure frame
  // times while a model-mode answer streams. Figures only.
  const gemma = process.env.KUBEASK_GEMMA_GGUF;
  if (gemma) {
    // Paths come only from the system's file dialog: drive the real GTK
    // dialog with X key events (Ctrl+L, the path, Enter).
    await click(await find('#import-model'));
    await pickInDialog('Import a GGUF model', gemma);
    const load = await until(async () => {
      const b = await wd('POST', S('/elements'), { using: 'xpath', value: "//table[@id='installed']//tr[td[contains(., 'gemma')]]//button" });
      return b.length ? idOf(b[0]) : null;
    }, 60000, 'the imported model');
    await click(load);
    const status = await until(async () => { const t = await text(await find('#model-status', 5000)); return /gemma/i.test(t) ? t : null; }, 60000, 'the loaded model');
    check(/Gemma/i.test(status), `model loaded from the Models panel (${status.replace(/\s+/g, ' ').slice(0, 70)}…)`);
    // A page cannot make the app load (read) a path of its choosing.
    const refused = await wd('POST', S('/execute/async'), { script: `const done = arguments[arguments.length - 1];
      window.__TAURI_INTERNALS__.invoke('load_model', { path: '/etc/hostname' }).then(() => done('loaded'), (e) => done(JSON.stringify(e)));`, args: [] });
    check(/NOT_INSTALLED/.test(String(refused)), `load_model refuses a path that is not an installed model (${refused})`);
    await sleep(1000);
    console.log(`memory, whole process tree, Gemma 270M loaded: ${treeMemory(pid)}`);
    await shot('models-loaded');
    // Frame gaps measured in the page while the answer streams.
    await click(await findText('Ask'));
    await wd('POST', S('/execute/sync'), { script: `window.__frames = { n: 0, max: 0, long: 0, last: performance.now(), on: true };
      const tick = (t) => { const f = window.__frames; const d = t - f.last; f.last = t; f.n++; if (d > f.max) f.max = d; if (d > 50) f.long++; if (f.on) requestAnimationFrame(tick); };
      requestAnimationFrame(tick); return true;`, args: [] });
    const modelShort = await askShort("tell me a story about the cluster's feelings", 120000);
    const f = await wd('POST', S('/execute/sync'), { script: 'window.__frames.on = false; return window.__frames;', args: [] });
    console.log(`while a model-mode answer streamed: ${f.n} frames, longest gap ${f.max.toFixed(1)} ms, ${f.long} gaps over 50 ms (answer: ${JSON.stringify(modelShort.slice(0, 60))})`);
    await shot('ask-model');
  } else {
    console.log('KUBEASK_GEMMA_GGUF is not set: no loaded-model figures');
  }

  // A team inference server as the engine: added with the CLI, chosen in
  // the Models panel; the answer says which engine gave it. The server is
  // a scripted OpenAI-compatible one that says it is llama-server.
  const chats = [];
  const mock = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      if (req.url === '/v1/models') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ object: 'list', data: [{ id: 'team-model', owned_by: 'llamacpp', meta: { n_ctx: 8192 } }] }));
      } else if (req.url === '/tokenize') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ tokens: new Array(Math.ceil(JSON.parse(body).content.length / 4)).fill(1) }));
      } else if (req.url === '/v1/chat/completions') {
        chats.push(JSON.parse(body));
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        const reply = JSON.stringify({ answer: 'mock-engine-answer', explanation: 'From the team server.' });
        for (let i = 0; i < reply.length; i += 6) res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: reply.slice(i, i + 6) } }] })}\n\n`);
        res.end('data: [DONE]\n\n');
      } else { res.writeHead(404); res.end(); }
    });
  });
  const mockPort = await new Promise((ok) => mock.listen(0, '127.0.0.1', () => ok(mock.address().port)));
  const engineUrl = `http://127.0.0.1:${mockPort}`;
  // NB: not execFileSync: the scripted server runs in this process and must answer the CLI's check.
  const added = await new Promise((ok, ko) => execFile(cli, ['engines', 'add', 'team', '--endpoint', engineUrl],
    { env: { ...process.env, HOME: home, XDG_DATA_HOME: join(home, 'data'), KUBECONFIG: kcA } },
    (e, out, err) => (e ? ko(new Error(`${e.message}: ${err}`)) : ok(out))));
  check(/llama-server/.test(added), `kubeask engines add checks the server (${added.trim().split('\n')[0]})`);
  await click(await findText('Ask'));
  await click(await findText('Models'));
  await until(async () => (await wd('POST', S('/elements'), { using: 'css selector', value: '#engine-select option[value="team"]' })).length > 0, 30000, 'the added engine in the Models panel')
    .catch(async (e) => { throw new Error(`${e.message}: the panel says ${JSON.stringify(await js("return [document.getElementById('engine-choice').textContent, document.getElementById('models-error').textContent];"))}`); });
  await js("const s = document.getElementById('engine-select'); s.value = 'team'; s.dispatchEvent(new Event('change')); return true;");
  const using = await until(async () => { const t = await text(await find('#engine-choice', 5000)); return /llama-server at/.test(t) ? t : null; }, 30000, 'the chosen engine');
  check(using.includes(engineUrl), `the Models panel says model mode answers with the team server (${using.replace(/\s+/g, ' ').slice(0, 90)}…)`);
  await click(await findText('Ask'));
  const remoteShort = await askShort("tell me a story about the cluster's feelings");
  const metas = await wd('POST', S('/elements'), { using: 'css selector', value: '.meta' });
  const meta = metas.length ? await text(idOf(metas[metas.length - 1])) : '';
  check(remoteShort === 'mock-engine-answer' && meta.includes(engineUrl), `a model-mode answer from the team server says which engine answered (${JSON.stringify(remoteShort)}; ${meta.replace(/\s+/g, ' ').slice(0, 90)})`);
  check(chats.length > 0 && chats.every((c) => typeof c.grammar === 'string' && c.grammar.startsWith('root ::=')), `every step went to the server with its grammar (${chats.length} requests)`);
  await click(await findText('Models'));
  await until(async () => (await wd('POST', S('/elements'), { using: 'css selector', value: '#engine-select' })).length > 0, 30000, 'the engine choice');
  await js("const s = document.getElementById('engine-select'); s.value = ''; s.dispatchEvent(new Event('change')); return true;");
  await until(async () => { const t = await text(await find('#engine-choice', 5000)); return /on this machine/.test(t) ? t : null; }, 30000, 'the in-process engine again');
  mock.close();

  await click(await findText('Settings'));
  await sleep(500);
  await shot('settings');

  // Conversations are kept: after a restart the first question's
  // conversation is listed, and opening it shows its answer again; the
  // CLI lists the same conversation.
  await closeApp(driver);
  driver = await startDriver({ ...baseEnv, KUBECONFIG: `${kcA}:${kcB}`, DBUS_SESSION_BUS_ADDRESS: tray.address, PATH: `${fakeBin}:${process.env.PATH}` });
  await openApp();
  const kept = await until(async () => {
    const li = await wd('POST', S('/elements'), { using: 'xpath', value: "//ul[@id='conversation-list']/li[contains(., 'How many nodes does my cluster have?')]" });
    return li.length ? idOf(li[0]) : null;
  }, 30000, 'the kept conversation');
  await click(kept);
  // The whole first run was one conversation: its first answer is the nodes count.
  const again = await until(async () => {
    const els = await wd('POST', S('/elements'), { using: 'css selector', value: '.short-answer' });
    return els.length ? (await text(idOf(els[0]))).trim() : null;
  }, 30000, 'the kept answers');
  const cliSessions = execFileSync(cli, ['sessions'], { env: { ...process.env, HOME: home, XDG_DATA_HOME: join(home, 'data') } }).toString();
  check(again === '3' && cliSessions.includes('How many nodes does my cluster have?'), `after a restart the conversation is still there (answer ${JSON.stringify(again)}), and kubeask sessions lists it`);

  // Notifications: a cluster with one critical problem raises exactly one
  // notification and shows 1 on the tray's badge; a restart of the app
  // does not raise it again.
  await closeApp(driver);
  await tray.ask('notifications clear');
  const alertEnv = { ...baseEnv, HOME: join(home, 'alerts'), XDG_DATA_HOME: join(home, 'alerts', 'data'), KUBECONFIG: kcC, DBUS_SESSION_BUS_ADDRESS: tray.address, KUBEASK_ALERT_SECS: '2' };
  mkdirSync(join(home, 'alerts'), { recursive: true });
  for (const round of ['first start', 'after a restart']) {
    const before = tray.registrations || 0;
    driver = await startDriver(alertEnv);
    await openApp();
    await find('#question');
    await until(async () => (tray.registrations || 0) > before, 15000, 'the tray icon').catch(() => false);
    if (round === 'first start') await until(async () => (await tray.ask('notifications')).notifications.length > 0, 30000, 'a notification').catch(() => false);
    await sleep(8000);
    const got = (await tray.ask('notifications')).notifications;
    const badge = await tray.ask('label');
    check(got.length === 1 && /billing-worker/.test(got[0].summary) && /CrashLoopBackOff/.test(got[0].summary),
      `${round}: one critical problem, exactly one notification (${got.map((n) => `${n.summary}: ${n.body}`).join(' | ')})`);
    check(badge.label === '1', `${round}: the tray badge counts it (label ${JSON.stringify(badge.label)})`);
    await closeApp(driver);
  }
} catch (e) {
  check(false, String(e && e.message || e));
  try { await shot('failure'); } catch {}
} finally {
  if (process.env.KUBEASK_E2E_VERBOSE) console.log('closing the session');
  await Promise.race([wd('DELETE', S('')).catch(() => {}), sleep(3000)]);
  cleanup();
}
console.log(`screenshots: ${readdirSync(shots).map((f) => join(shots, f)).join(', ')}`);
process.exit(failed ? 1 : 0);
