import { describe, expect, it } from 'vitest';
import { axisValue, chartData, workloadsOf } from '../src/chartdata';
import type { Chart, Sizing } from '../src/ipc';

const chart: Chart = {
  metric: 'memory', container: 'api', unit: 'bytes',
  lines: [
    { label: 'api-1', t: [100, 115, 130], v: [10, 11, 12] },
    { label: 'api-2', t: [115, 130], v: [20, 21] },
  ],
  request: 16, limit: 32,
  band: [{ t: 130, low: 11, mid: 12, high: 13 }, { t: 200, low: 12, mid: 15, high: 18 }],
  marks: [{ t: 115, v: 11, label: 'spike' }],
};

describe('chartData', () => {
  it('puts every series on one time axis, null where a series has no sample', () => {
    const { xs, series } = chartData(chart);
    expect(xs).toEqual([100, 115, 130, 200]);
    const by = (label: string) => series.find((s) => s.label === label)!.values;
    expect(by('api-1')).toEqual([10, 11, 12, null]);
    expect(by('api-2')).toEqual([null, 20, 21, null]);
    expect(by('request')).toEqual([16, 16, 16, 16]);
    expect(by('limit')).toEqual([32, 32, 32, 32]);
    expect(by('forecast')).toEqual([null, null, 12, 15]);
    expect(by('anomaly')).toEqual([null, 11, null, null]);
    expect(series.every((s) => s.values.length === xs.length)).toBe(true);
  });

  it('leaves out request, limit, band and marks a container does not have', () => {
    const { series } = chartData({ ...chart, request: null, limit: null, band: [], marks: [] });
    expect(series.map((s) => s.role)).toEqual(['pod', 'pod']);
  });
});

describe('axisValue', () => {
  it('shows millicores below one core and Mi/Gi for bytes', () => {
    expect(axisValue('cores', 0.137)).toBe('137m');
    expect(axisValue('cores', 2.5)).toBe('2.50');
    expect(axisValue('bytes', 512 * 1048576)).toBe('512Mi');
    expect(axisValue('bytes', 1536 * 1048576)).toBe('1.5Gi');
  });
});

describe('workloadsOf', () => {
  it('lists each workload once, the worst sized first', () => {
    const s = (workload: string, verdict: Sizing['verdict'], container = 'c'): Sizing =>
      ({ namespace: 'shop', workload, container, pods: 1, cpu: null, memory: null, verdict });
    const got = workloadsOf([s('Deployment/web', 'fits'), s('Deployment/api', 'over'), s('Deployment/web', 'under', 'side'), s('StatefulSet/db', 'fits')]);
    expect(got.map((w) => `${w.kind}/${w.name}`)).toEqual(['Deployment/web', 'Deployment/api', 'StatefulSet/db']);
  });
});
