// The History panel: forecasts and anomalies for the current context, the
// right-sizing table, a workload's CPU and memory charts (one line per pod,
// its request and limit, the forecast band ahead, anomalies marked; drawn
// with uPlot, bundled, no CDN) and the incident timeline. The figures and
// sentences come from the same library calls as `kubeask forecast`,
// `rightsize`, `history` and `timeline`; this file only lays them out.
import './intl-guard';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { call, type Chart, type InsightsView, type TimelineView, type WorkloadHistory } from './ipc';
import { axisValue, chartData, workloadsOf, type Drawn } from './chartdata';
import { listen } from '@tauri-apps/api/event';
import { el } from './render';

const colors: Record<Drawn['role'], string> = {
  pod: '#4c9be8', request: '#3ba55c', limit: '#e5534b', low: '#b083f0', mid: '#8957e5', high: '#b083f0', anomaly: '#f0883e',
};

function draw(root: HTMLElement, c: Chart): void {
  const { xs, series } = chartData(c);
  const box = el('div', 'chart');
  box.append(el('h4', undefined, `${c.container} — ${c.metric === 'cpu' ? 'CPU' : 'memory'}`));
  root.append(box);
  const low = series.findIndex((s) => s.role === 'low') + 1;
  const high = series.findIndex((s) => s.role === 'high') + 1;
  const opts: uPlot.Options = {
    width: Math.max(480, Math.min(1000, root.clientWidth || 800)), height: 220,
    scales: { x: { time: true } },
    axes: [{}, { values: (_u, vals) => vals.map((v) => axisValue(c.unit, v)), size: 60 }],
    series: [{}, ...series.map((s) => ({
      label: s.label,
      stroke: colors[s.role],
      width: s.role === 'pod' ? 1.5 : 1,
      dash: s.role === 'request' || s.role === 'limit' || s.role === 'mid' ? [6, 4] : undefined,
      spanGaps: s.role !== 'anomaly',
      paths: s.role === 'anomaly' ? () => null : undefined,
      points: s.role === 'anomaly' ? { show: true, size: 9, fill: colors.anomaly } : { show: false },
      value: (_u: uPlot, v: number | null) => (v === null ? '–' : axisValue(c.unit, v)),
    }))],
    bands: low > 0 && high > 0 ? [{ series: [high, low], fill: 'rgba(137, 87, 229, 0.15)' }] : [],
  };
  new uPlot(opts, [xs, ...series.map((s) => s.values)] as uPlot.AlignedData, box);
  for (const m of c.marks.slice(0, 5)) box.append(el('div', 'muted', `⚠ ${new Date(m.t * 1000).toLocaleTimeString()} ${m.label}`));
}

export class HistoryPanel {
  /** The context the view shows (its commands act on that one). */
  context: string | undefined;

  $(id: string): HTMLElement { return document.getElementById(id)!; }

  init(): void {
    // A context switch (tray or Cluster panel) shows the new context's past.
    void listen('kubeask://context', () => { if (this.$('panel-history').classList.contains('active')) void this.load(); });
    this.$('refresh-history').addEventListener('click', () => void this.load());
    this.$('history-workload').addEventListener('change', () => void this.charts());
    this.$('timeline-since').addEventListener('change', () => void this.timeline());
    this.$('history-mute').addEventListener('change', () => void this.mute());
  }

  async load(): Promise<void> {
    this.$('history-source').textContent = 'Reading the history…';
    void this.timeline();
    try {
      this.render(await call<InsightsView>('insights_view'));
      await this.charts();
    } catch (e) {
      this.$('history-source').textContent = (e as { message: string }).message;
    }
  }

  render(v: InsightsView): void {
    this.context = v.context;
    this.$('history-source').textContent = v.error ? `${v.context}: ${v.error}` : `${v.context}: from ${v.source}`;
    (this.$('history-mute') as HTMLInputElement).checked = !v.muted;
    const list = (id: string, items: string[], none: string) =>
      this.$(id).replaceChildren(...(items.length ? items : [none]).map((t) => el('li', undefined, t)));
    list('history-forecasts', v.forecasts, 'Nothing reaches a limit or its node’s capacity within a day.');
    list('history-capacity', v.capacity ?? [], 'No usage history for the whole cluster yet.');
    list('history-anomalies', v.anomalies, 'Nothing out of the ordinary.');
    list('history-hpa', v.hpa, 'No autoscaler on CPU with enough history.');
    const table = this.$('history-sizing');
    const head = el('tr');
    for (const h of ['Workload', 'Container', 'Verdict', 'CPU', 'Memory']) head.append(el('th', undefined, h));
    table.replaceChildren(head, ...v.sizing.map((s) => {
      const tr = el('tr', `sizing ${s.verdict}`);
      for (const t of [`${s.namespace}/${s.workload}`, s.container, s.verdict.replace('_', ' '), s.cpu ?? '–', s.memory ?? '–']) tr.append(el('td', undefined, t));
      return tr;
    }));
    const select = this.$('history-workload') as HTMLSelectElement;
    const was = select.value;
    select.replaceChildren(...workloadsOf(v.sizing).map((w) => {
      const o = el('option', undefined, `${w.namespace}/${w.kind}/${w.name}`);
      o.value = JSON.stringify(w);
      return o;
    }));
    if ([...select.options].some((o) => o.value === was)) select.value = was;
  }

  async charts(): Promise<void> {
    const root = this.$('history-charts');
    const chosen = (this.$('history-workload') as HTMLSelectElement).value;
    if (!chosen) { root.replaceChildren(el('p', 'muted', 'No workload has enough history yet to chart.')); return; }
    const w = JSON.parse(chosen) as { namespace: string; kind: string; name: string };
    try {
      const h = await call<WorkloadHistory>('workload_history', { namespace: w.namespace, kind: w.kind, name: w.name, since: '6h', context: this.context });
      root.replaceChildren();
      for (const c of h.charts) draw(root, c);
      if (!h.charts.length) root.append(el('p', 'muted', `No samples of ${w.name} in the last 6 hours.`));
    } catch (e) {
      root.replaceChildren(el('p', 'error', (e as { message: string }).message));
    }
  }

  async timeline(): Promise<void> {
    const root = this.$('history-timeline');
    const since = (this.$('timeline-since') as HTMLSelectElement).value;
    try {
      const t = await call<TimelineView>('timeline_view', { since });
      root.replaceChildren(...t.incidents.slice().reverse().map((i) => {
        const d = el('details', 'incident');
        d.open = true;
        d.append(el('summary', undefined, `${i.summary} (${new Date(i.start).toLocaleTimeString()} – ${new Date(i.end).toLocaleTimeString()})`));
        const ul = el('ul');
        for (const e of i.entries) {
          const li = el('li', `entry ${e.change}`);
          li.append(el('b', undefined, `${new Date(e.time).toLocaleTimeString()} ${e.change.replaceAll('_', ' ')}`), document.createTextNode(` ${e.object}: ${e.evidence}`));
          ul.append(li);
        }
        d.append(ul);
        return d;
      }));
      if (!t.incidents.length) root.append(el('p', 'muted', 'Nothing happened in that period (that Kubeask can see).'));
      root.append(el('p', 'muted', `From ${t.source}.`));
    } catch (e) {
      root.replaceChildren(el('p', 'error', (e as { message: string }).message));
    }
  }

  async mute(): Promise<void> {
    const notify = (this.$('history-mute') as HTMLInputElement).checked;
    try { await call<boolean>('set_alerts_muted', { muted: !notify, context: this.context }); } catch (e) {
      this.$('history-source').textContent = (e as { message: string }).message;
    }
  }
}
