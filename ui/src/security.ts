// The Security panel: the posture checks' findings for the current
// context, grouped by namespace (cluster-wide objects first) and then by
// object, worst first; what could not be checked is said, never hidden.
import { listen } from '@tauri-apps/api/event';
import { call, type SecurityFinding, type SecurityView } from './ipc';
import { el } from './render';

const rank: Record<string, number> = { critical: 0, warning: 1, info: 2 };

/** One namespace's (or the cluster's) objects and their findings, worst first. */
export interface SecurityGroup { namespace: string; objects: { object: string; findings: SecurityFinding[] }[] }

/**
 * Groups findings by namespace, then by object. A Namespace's own findings
 * ("no NetworkPolicy") belong to that namespace's group. Groups with a
 * critical finding come first; within a group, objects worst first.
 */
export function groupFindings(findings: SecurityFinding[]): SecurityGroup[] {
  const groups = new Map<string, Map<string, SecurityFinding[]>>();
  for (const f of findings) {
    const o = f.object;
    const ns = o.kind === 'Namespace' ? o.name : o.namespace;
    const key = `${o.kind} ${o.name}`;
    const objs = groups.get(ns) ?? new Map<string, SecurityFinding[]>();
    objs.set(key, [...(objs.get(key) ?? []), f]);
    groups.set(ns, objs);
  }
  const worst = (fs: SecurityFinding[]) => Math.min(...fs.map((f) => rank[f.severity] ?? 3));
  return [...groups.entries()]
    .map(([namespace, objs]) => ({
      namespace,
      objects: [...objs.entries()]
        .map(([object, fs]) => ({ object, findings: [...fs].sort((a, b) => (rank[a.severity] ?? 3) - (rank[b.severity] ?? 3)) }))
        .sort((a, b) => worst(a.findings) - worst(b.findings) || a.object.localeCompare(b.object)),
    }))
    .sort((a, b) => (a.namespace === '' ? -1 : b.namespace === '' ? 1 : 0)
      || worst(a.objects.flatMap((o) => o.findings)) - worst(b.objects.flatMap((o) => o.findings))
      || a.namespace.localeCompare(b.namespace));
}

export class SecurityPanel {
  $(id: string): HTMLElement { return document.getElementById(id)!; }

  async init(): Promise<void> {
    this.$('refresh-security').addEventListener('click', () => void this.load());
    // A context switch (tray or Cluster panel) shows the new context's posture.
    await listen('kubeask://context', () => { if (this.$('panel-security').classList.contains('active')) void this.load(); });
  }

  async load(): Promise<void> {
    this.$('security-summary').textContent = 'Checking…';
    try {
      this.render(await call<SecurityView>('security_view'));
    } catch (e) {
      this.$('security-summary').textContent = (e as { message: string }).message;
    }
  }

  render(v: SecurityView): void {
    const count = (s: string) => v.findings.filter((f) => f.severity === s).length;
    this.$('security-context').textContent = v.context;
    this.$('security-summary').textContent =
      `${v.findings.length} findings: ${count('critical')} critical, ${count('warning')} warnings, ${count('info')} info`;
    this.$('security-not-checked').textContent = v.not_checked.length ? `Not checked (your access cannot read what they need): ${v.not_checked.join('; ')}` : '';
    const root = this.$('security-groups');
    root.replaceChildren(...groupFindings(v.findings).map((g) => {
      const d = el('details', 'security-group');
      d.open = g.objects.some((o) => o.findings.some((f) => f.severity === 'critical'));
      const n = g.objects.reduce((a, o) => a + o.findings.length, 0);
      d.append(el('summary', undefined, `${g.namespace || 'Cluster-wide'} — ${n} finding${n === 1 ? '' : 's'} on ${g.objects.length} object${g.objects.length === 1 ? '' : 's'}`));
      for (const o of g.objects) {
        d.append(el('h4', undefined, o.object));
        const ul = el('ul');
        for (const f of o.findings) {
          const li = el('li', `finding ${f.severity}`);
          li.append(el('b', undefined, `${f.severity.toUpperCase()} ${f.check}`), document.createTextNode(`: ${f.title}`));
          li.append(el('div', 'muted', `${f.control} — fix: ${f.suggested_fix}`));
          if (f.kubectl[0]) li.append(el('code', undefined, f.kubectl[0]));
          ul.append(li);
        }
        d.append(ul);
      }
      return d;
    }));
  }
}
