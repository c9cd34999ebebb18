// The main window: four panels, keyboard-first (Enter asks, Esc stops,
// Ctrl/Cmd+K focuses the question).
import { listen } from '@tauri-apps/api/event';
import { call, type ContextInfo } from './ipc';
import { AskPanel } from './ask';
import { ClusterPanel } from './cluster';
import { ModelsPanel } from './models';
import { SettingsPanel } from './settings';
import { SecurityPanel } from './security';
import { CostPanel } from './cost';
import { ManifestPanel } from './manifest';
import type { HistoryPanel } from './history';
import { routeLinks } from './render';

const ask = new AskPanel();
const cluster = new ClusterPanel();
const models = new ModelsPanel();
const settings = new SettingsPanel();
const security = new SecurityPanel();
const cost = new CostPanel();
const manifest = new ManifestPanel();
// The History panel (and its chart library) loads when first opened.
let history: Promise<HistoryPanel> | null = null;
function historyPanel(): Promise<HistoryPanel> {
  history ??= import('./history').then(({ HistoryPanel: P }) => { const p = new P(); p.init(); return p; });
  // A failed load is tried again on the next open.
  history.catch(() => { history = null; });
  return history;
}
const loaded = new Set<string>();

function show(panel: string): void {
  routeLinks(document, (url) => void call('open_link', { url }).catch(() => undefined));
for (const b of document.querySelectorAll<HTMLButtonElement>('#nav button')) b.classList.toggle('active', b.dataset.panel === panel);
  for (const s of document.querySelectorAll<HTMLElement>('.panel')) s.classList.toggle('active', s.id === `panel-${panel}`);
  if (panel === 'cluster' && loaded.has(panel)) cluster.shown();
  // Engines added with the CLI while the app runs show up on the next open.
  if (panel === 'models' && loaded.has(panel)) void models.refreshEngines();
  if (!loaded.has(panel)) {
    loaded.add(panel);
    if (panel === 'cluster') void cluster.load();
    if (panel === 'models') void models.load();
    if (panel === 'security') void security.load();
    if (panel === 'cost') void cost.load();
    if (panel === 'history') {
      void historyPanel().then((p) => p.load(), (e) => {
        const line = document.getElementById('history-source');
        if (line) line.textContent = `The History view could not load: ${String(e)}`;
      });
    }
  }
}

for (const b of document.querySelectorAll<HTMLButtonElement>('#nav button')) b.addEventListener('click', () => show(b.dataset.panel!));
document.addEventListener('keydown', (e) => {
  if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k') {
    e.preventDefault();
    show('ask');
    document.getElementById('question')?.focus();
  } else if (e.key === 'Escape') {
    void ask.stop();
  }
});

/** The demo offer: shown while the app runs on its built-in demo cluster. */
export function showDemoBanner(contexts: ContextInfo[]): void {
  const banner = document.getElementById('demo-banner');
  if (banner) banner.hidden = !contexts.some((c) => c.demo);
}

void (async () => {
  await Promise.all([ask.init(), cluster.init(), models.init(), settings.init(), security.init()]);
  cost.init();
  manifest.init();
  call<ContextInfo[]>('list_contexts').then((c) => {
    showDemoBanner(c);
    const cur = c.find((x) => x.current);
    const badge = document.getElementById('context-badge');
    if (badge && cur) badge.textContent = cur.name;
  }, () => undefined);
  await listen<string>('kubeask://open-question', (e) => { show('ask'); void ask.ask(e.payload); });
  // A background task failed and was restarted: say so, never fail silently.
  await listen<string>('kubeask://task-failed', (e) => {
    const line = document.getElementById('task-banner');
    if (line) { line.textContent = e.payload; line.hidden = false; }
  });
  document.getElementById('question')?.focus();
})();
