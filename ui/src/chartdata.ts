// The History panel's data, laid out for drawing (no uPlot here, so it
// is testable without a canvas): every series on one time axis, axis
// values, and the workloads that have history.
import type { Chart, Sizing } from './ipc';

/** One drawn series: what it is, and its values on the shared time axis. */
export interface Drawn { label: string; role: 'pod' | 'request' | 'limit' | 'low' | 'mid' | 'high' | 'anomaly'; values: (number | null)[] }

/**
 * A chart's data on one time axis (uPlot wants every series on the same
 * x values): the union of the pods' sample times and the band's, each
 * series null where it has no value. Request and limit are flat lines over
 * the whole axis; anomalies are points at their times only.
 */
export function chartData(c: Chart): { xs: number[]; series: Drawn[] } {
  const times = new Set<number>();
  for (const l of c.lines) for (const t of l.t) times.add(t);
  for (const b of c.band) times.add(b.t);
  for (const m of c.marks) times.add(m.t);
  const xs = [...times].sort((a, b) => a - b);
  const at = new Map(xs.map((t, i) => [t, i]));
  const empty = () => xs.map(() => null as number | null);
  const series: Drawn[] = [];
  for (const l of c.lines) {
    const values = empty();
    l.t.forEach((t, i) => { values[at.get(t)!] = l.v[i]; });
    series.push({ label: l.label, role: 'pod', values });
  }
  if (c.request !== null) series.push({ label: 'request', role: 'request', values: xs.map(() => c.request) });
  if (c.limit !== null) series.push({ label: 'limit', role: 'limit', values: xs.map(() => c.limit) });
  if (c.band.length) {
    for (const role of ['low', 'mid', 'high'] as const) {
      const values = empty();
      for (const b of c.band) values[at.get(b.t)!] = b[role];
      series.push({ label: role === 'mid' ? 'forecast' : `forecast ${role} (90%)`, role, values });
    }
  }
  if (c.marks.length) {
    const values = empty();
    for (const m of c.marks) values[at.get(m.t)!] = m.v;
    series.push({ label: 'anomaly', role: 'anomaly', values });
  }
  return { xs, series };
}

/** Axis values: cores as millicores below one, bytes in Mi/Gi. */
export function axisValue(unit: Chart['unit'], v: number): string {
  if (unit === 'cores') return v < 1 ? `${Math.round(v * 1000)}m` : `${v.toFixed(2)}`;
  const mi = v / 1048576;
  return mi >= 1024 ? `${(mi / 1024).toFixed(1)}Gi` : `${Math.round(mi)}Mi`;
}

/** Workloads with history, worst sizing first (under-provisioned, then no request, over, fits). */
export function workloadsOf(sizing: Sizing[]): { namespace: string; kind: string; name: string }[] {
  const rank = { under: 0, no_request: 1, over: 2, fits: 3 } as const;
  const seen = new Map<string, { namespace: string; kind: string; name: string; r: number }>();
  for (const s of sizing) {
    const [kind, ...rest] = s.workload.split('/');
    const key = `${s.namespace}/${s.workload}`;
    const r = rank[s.verdict] ?? 4;
    const had = seen.get(key);
    if (!had || r < had.r) seen.set(key, { namespace: s.namespace, kind, name: rest.join('/'), r });
  }
  return [...seen.values()].sort((a, b) => a.r - b.r || `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`))
    .map(({ namespace, kind, name }) => ({ namespace, kind, name }));
}
