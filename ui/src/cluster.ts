// The Cluster panel: context switcher, health, findings worst first,
// nodes and pods with filters and status colours.
import { listen } from '@tauri-apps/api/event';
import { call, type ClusterView, type ContextInfo } from './ipc';
import { el } from './render';
import { actionsUi } from './actions';
import { statusClass, worstFirst } from './stores';

export class ClusterPanel {
  view: ClusterView | null = null;
  contexts: ContextInfo[] = [];
  stale = false;
  actions = actionsUi;
  $(id: string): HTMLElement { return document.getElementById(id)!; }

  async init(): Promise<void> {
    this.actions.init();
    this.actions.onChange = () => void this.loadView();
    this.$('context').addEventListener('change', (e) => void this.switchTo((e.target as HTMLSelectElement).value));
    this.$('refresh-cluster').addEventListener('click', () => void this.load());
    this.$('node-filter').addEventListener('input', () => this.renderTables());
    this.$('pod-filter').addEventListener('input', () => this.renderTables());
    // Pushed views are drawn only while the panel shows (48 pods' rows
    // mean nothing off screen); the last one is drawn when it opens.
    await listen<ClusterView>('kubeask://cluster', (e) => {
      this.view = e.payload;
      if (this.visible()) this.render(); else this.stale = true;
    });
    await listen<ContextInfo[]>('kubeask://context', (e) => void this.onContexts(e.payload));
  }

  async load(): Promise<void> {
    try {
      this.contexts = await call<ContextInfo[]>('list_contexts');
      this.renderContexts();
    } catch (e) {
      this.$('health').textContent = (e as { message: string }).message;
      return;
    }
    await Promise.all([this.loadView(), this.actions.loadAudit()]);
  }

  /** The current context's view; a failure shows in the health line. */
  async loadView(): Promise<void> {
    try {
      this.view = await call<ClusterView>('cluster_view');
      this.render();
    } catch (e) {
      this.$('health').textContent = (e as { message: string }).message;
    }
  }

  async switchTo(name: string): Promise<void> {
    try {
      this.contexts = await call<ContextInfo[]>('switch_context', { name });
      this.renderContexts();
      this.view = await call<ClusterView>('cluster_view');
      this.render();
    } catch (e) {
      this.$('context-error').textContent = (e as { message: string }).message;
    }
  }

  /** A switch made elsewhere (the tray): a shown view of another context is reloaded. */
  async onContexts(contexts: ContextInfo[]): Promise<void> {
    this.contexts = contexts;
    this.renderContexts();
    const cur = contexts.find((c) => c.current);
    if (this.view && cur && this.view.context !== cur.name) await this.loadView();
  }

  renderContexts(): void {
    const sel = this.$('context') as HTMLSelectElement;
    sel.replaceChildren(...this.contexts.map((c) => {
      const o = el('option', c.reachable === false ? 'unreachable' : undefined, `${c.name}${c.current ? ' (current)' : ''}${c.reachable === false ? ' — unreachable' : ''}`);
      o.value = c.name;
      o.selected = c.current;
      return o;
    }));
    const cur = this.contexts.find((c) => c.current);
    this.$('context-error').textContent = cur?.error ? `${cur.name}: ${cur.error}` : '';
    const badge = document.getElementById('context-badge');
    if (badge) badge.textContent = cur ? cur.name : '';
  }

  visible(): boolean { return document.getElementById('panel-cluster')?.classList.contains('active') ?? false; }

  /** Draws a view pushed while the panel was hidden. */
  shown(): void { if (this.stale) this.render(); }

  render(): void {
    const v = this.view;
    if (!v) return;
    this.stale = false;
    const h = this.$('health');
    h.className = v.healthy ? 'ok' : 'bad';
    h.textContent = `${v.context}: ${v.summary}`;
    const f = this.$('findings');
    f.replaceChildren(...worstFirst(v.findings).map((x) => {
      const d = el('details', `finding ${x.severity}`);
      d.append(el('summary', undefined, `${x.severity.toUpperCase()} ${x.kind} ${x.namespace ? x.namespace + '/' : ''}${x.name}: ${x.title}`));
      const ul = el('ul');
      for (const e of x.evidence) ul.append(el('li', undefined, e));
      d.append(ul, el('p', 'fix', `Fix: ${x.fix}`));
      const action = x.action;
      if (action) {
        const b = el('button', 'fix-button', 'Fix…');
        b.addEventListener('click', () => void this.actions.open({ action }));
        d.append(b);
      }
      return d;
    }));
    if (!v.findings.length) f.textContent = 'No problems found.';
    this.renderTables();
  }

  renderTables(): void {
    const v = this.view;
    if (!v) return;
    const nf = (this.$('node-filter') as HTMLInputElement).value.toLowerCase();
    const pf = (this.$('pod-filter') as HTMLInputElement).value.toLowerCase();
    table(this.$('nodes'), ['Name', 'Status', 'Roles', 'Version', 'CPU', 'Memory', 'Age'],
      v.nodes.filter((n) => JSON.stringify(n).toLowerCase().includes(nf)).map((n) => [n.name, n.status, n.roles, n.version, n.cpu, n.memory, n.age]), 1);
    table(this.$('pods'), ['Namespace', 'Name', 'Ready', 'Status', 'Restarts', 'Node', 'Age'],
      v.pods.filter((p) => JSON.stringify(p).toLowerCase().includes(pf)).map((p) => [p.namespace, p.name, p.ready, p.status, String(p.restarts), p.node, p.age]), 3);
  }
}

function table(t: HTMLElement, head: string[], rows: string[][], statusCol: number): void {
  const thead = el('tr');
  for (const h of head) thead.append(el('th', undefined, h));
  t.replaceChildren(thead, ...rows.map((r) => {
    const tr = el('tr');
    r.forEach((c, i) => tr.append(el('td', i === statusCol ? `status ${statusClass(c)}` : undefined, c)));
    return tr;
  }));
}
