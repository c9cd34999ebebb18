// The Cost panel: the current context's monthly cost per namespace or
// workload, idle capacity and load balancers, where money is wasted, and
// what the figures are based on (your prices, or default list prices).
import { call, type CostView } from './ipc';
import { el } from './render';

export const money = (x: number): string => `$${x.toFixed(2)}`;

/** The rows the table shows: each group, then idle and load balancers, then the total. */
export function costRows(v: CostView): string[][] {
  const r = v.report;
  const rows = r.allocations.map((a) => [a.name, `${a.cpu_cores.toFixed(2)} cores`, `${a.memory_gib.toFixed(1)} GiB`, `${a.storage_gib.toFixed(0)} GiB`, money(a.total)]);
  rows.push(['(idle node capacity)', '', '', '', money(r.idle)]);
  if (r.load_balancers > 0) rows.push(['(load balancers)', '', '', '', money(r.load_balancers)]);
  rows.push(['Total a month', '', '', '', money(r.total)]);
  return rows;
}

export class CostPanel {
  $(id: string): HTMLElement { return document.getElementById(id)!; }

  init(): void {
    this.$('refresh-cost').addEventListener('click', () => void this.load());
    this.$('cost-by').addEventListener('change', () => void this.load());
    this.$('price-save').addEventListener('click', () => void this.savePrices());
  }

  /** Saves the four rates for the current context (the built-in instance
   * table does not apply to your own prices) and redraws at them. */
  async savePrices(): Promise<void> {
    const n = (id: string) => Number((this.$(id) as HTMLInputElement).value) || 0;
    const prices = {
      cpu_core_hour: n('price-cpu'), memory_gib_hour: n('price-mem'), gpu_hour: 0.95,
      storage_gib_month: n('price-storage'), load_balancer_month: n('price-lb'), instance_types: {},
    };
    try {
      const by = (this.$('cost-by') as HTMLSelectElement).value;
      this.render(await call<CostView>('set_prices', { prices, by }));
    } catch (e) {
      this.$('cost-total').textContent = (e as { message: string }).message;
    }
  }

  async load(): Promise<void> {
    this.$('cost-total').textContent = 'Computing…';
    try {
      const by = (this.$('cost-by') as HTMLSelectElement).value;
      this.render(await call<CostView>('cost_view', { by }));
    } catch (e) {
      this.$('cost-total').textContent = (e as { message: string }).message;
    }
  }

  render(v: CostView): void {
    this.$('cost-total').textContent = `${v.context}: ${money(v.report.total)} a month`;
    const table = this.$('cost-table');
    const head = el('tr');
    for (const h of ['Group', 'CPU', 'Memory', 'Storage', 'Monthly']) head.append(el('th', undefined, h));
    table.replaceChildren(head, ...costRows(v).map((r) => {
      const tr = el('tr');
      for (const c of r) tr.append(el('td', undefined, c));
      return tr;
    }));
    this.$('cost-waste').replaceChildren(...v.report.waste.slice(0, 10).map((w) => el('li', undefined, `${money(w.monthly)} ${w.kind} ${w.object}: ${w.detail}`)));
    this.$('cost-basis').textContent = `Based on ${v.report.basis}.` + (v.your_prices ? '' : ` Set your prices in ${v.prices_file}.`);
  }
}
