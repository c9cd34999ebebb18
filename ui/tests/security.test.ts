// The Security panel's grouping: by namespace (cluster-wide first, then the
// namespace with the worst finding), a Namespace's own findings in its
// group, objects worst first.
import { describe, expect, it } from 'vitest';
import type { SecurityFinding } from '../src/ipc';
import { groupFindings } from '../src/security';

const f = (severity: 'critical' | 'warning' | 'info', kind: string, namespace: string, name: string, check: string): SecurityFinding => ({
  severity, object: { kind, namespace, name }, workload: { kind, namespace, name }, title: check, evidence: [], likely_cause: '',
  suggested_fix: 'fix', kubectl: [], check, control: 'CIS',
});

describe('security grouping', () => {
  it('groups by namespace and object, worst first, cluster-wide on top', () => {
    const groups = groupFindings([
      f('info', 'Deployment', 'web', 'front', 'writable-root'),
      f('warning', 'Namespace', '', 'web', 'no-network-policy'),
      f('critical', 'Deployment', 'data', 'db', 'privileged'),
      f('info', 'Deployment', 'data', 'db', 'default-sa-token'),
      f('warning', 'Deployment', 'data', 'cache', 'run-as-root'),
      f('critical', 'ClusterRoleBinding', '', 'ci-admin', 'cluster-admin-binding'),
    ]);
    expect(groups.map((g) => g.namespace)).toEqual(['', 'data', 'web']);
    expect(groups[1].objects.map((o) => o.object)).toEqual(['Deployment db', 'Deployment cache']);
    expect(groups[1].objects[0].findings.map((x) => x.check)).toEqual(['privileged', 'default-sa-token']);
    // The namespace's own finding sits with its workloads.
    expect(groups[2].objects.map((o) => o.object)).toEqual(['Namespace web', 'Deployment front']);
  });
});
