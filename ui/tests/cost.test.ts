// The Cost panel's table: groups as reported, then idle capacity, load
// balancers (only when there are any) and the total.
import { describe, expect, it } from 'vitest';
import type { CostView } from '../src/ipc';
import { costRows } from '../src/cost';

const view = (lb: number): CostView => ({
  context: 'c', your_prices: false, prices_file: '/x/prices.json',
  report: {
    allocations: [{ name: 'shop', cpu_cores: 1.5, memory_gib: 4, gpus: 0, storage_gib: 10, cpu_cost: 43.8, memory_cost: 14.6, gpu_cost: 0, storage_cost: 1, total: 59.4 }],
    idle: 85.775, load_balancers: lb, total: 145.175 + lb, waste: [], basis: 'requests',
  },
});

describe('cost table', () => {
  it('lists groups, idle, load balancers when present, and the total', () => {
    expect(costRows(view(20)).map((r) => [r[0], r[4]])).toEqual([
      ['shop', '$59.40'], ['(idle node capacity)', '$85.78'], ['(load balancers)', '$20.00'], ['Total a month', '$165.18'],
    ]);
    expect(costRows(view(0)).map((r) => r[0])).not.toContain('(load balancers)');
  });
});
