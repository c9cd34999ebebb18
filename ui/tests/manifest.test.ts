// The Manifest panel's pieces: the HPA shorthand and the verdict lines.
import { describe, expect, it } from 'vitest';
import { parseHpa, verdict } from '../src/manifest';

const doc = (errors: string[], dry_run: Parameters<typeof verdict>[0]['dry_run']) => ({ object: { api_version: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web', errors, findings: [] }, dry_run });

describe('manifest panel', () => {
  it('reads the HPA shorthand', () => {
    expect(parseHpa('2-10@70')).toEqual({ min: 2, max: 10, cpu_percent: 70 });
    expect(parseHpa(' 1 - 3 @ 50% ')).toEqual({ min: 1, max: 3, cpu_percent: 50 });
    expect(parseHpa('lots')).toBeNull();
  });
  it('says what the checks and the server said, errors first', () => {
    expect(verdict(doc(['unknown field spec.x'], { result: 'skipped', why: 'fix the errors first' }))).toBe('✗ unknown field spec.x');
    expect(verdict(doc([], { result: 'refused', message: 'namespaces "x" not found' }))).toContain('refuses it: namespaces');
    expect(verdict(doc([], { result: 'accepted', new: true, changes: [] }))).toContain('a new object');
    expect(verdict(doc([], { result: 'accepted', new: false, changes: [{ path: 'spec.replicas', before: 1, after: 3 }] }))).toContain('spec.replicas');
  });
});
