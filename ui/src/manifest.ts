// The Manifest panel: paste YAML or fill the form (the workload structure
// the CLI's `manifest new` and the model fill), then Check: strict parsing,
// the API server's rules, security findings and the server's dry run.
import { call, type CheckedDoc, type HpaSpec, type ManifestCheck, type WorkloadSpec } from './ipc';
import { el } from './render';

/** `2-10@70` → the HPA structure; anything else is not an HPA. */
export function parseHpa(s: string): HpaSpec | null {
  const m = /^\s*(\d+)\s*-\s*(\d+)\s*@\s*(\d+)%?\s*$/.exec(s);
  return m ? { min: Number(m[1]), max: Number(m[2]), cpu_percent: Number(m[3]) } : null;
}

/** One line per verdict, as the results list shows them. */
export function verdict(d: CheckedDoc): string {
  const r = d.dry_run;
  if (d.object.errors.length) return `✗ ${d.object.errors.join('; ')}`;
  if (r.result === 'refused') return `✗ the API server refuses it: ${r.message}`;
  if (r.result === 'skipped') return `– not dry-run: ${r.why}`;
  if (r.new) return '✓ the API server accepts it: a new object';
  return r.changes?.length ? `✓ accepted; changes ${r.changes.map((c) => c.path).join(', ')}` : '✓ accepted: no change';
}

export class ManifestPanel {
  $(id: string): HTMLElement { return document.getElementById(id)!; }
  val(id: string): string { return (this.$(id) as HTMLInputElement).value.trim(); }

  init(): void {
    this.$('wl-render').addEventListener('click', () => void this.render());
    this.$('manifest-check').addEventListener('click', () => void this.check());
  }

  async render(): Promise<void> {
    const port = Number(this.val('wl-port')) || null;
    const spec: WorkloadSpec = {
      name: this.val('wl-name'), namespace: this.val('wl-namespace') || 'default', image: this.val('wl-image'),
      replicas: Number(this.val('wl-replicas')) || 1, port, service: (this.$('wl-service') as HTMLInputElement).checked,
      ingress_host: this.val('wl-host') || null, hpa: parseHpa(this.val('wl-hpa')), readiness_path: null,
    };
    try {
      (this.$('manifest-text') as HTMLTextAreaElement).value = await call<string>('render_workload', { spec });
      this.$('manifest-status').textContent = 'Written; Check it against the cluster.';
    } catch (e) {
      this.$('manifest-status').textContent = (e as { message: string }).message;
    }
  }

  async check(): Promise<void> {
    this.$('manifest-status').textContent = 'Checking…';
    try {
      const r = await call<ManifestCheck>('check_manifest', { text: (this.$('manifest-text') as HTMLTextAreaElement).value });
      const ok = r.documents.every((d) => !d.object.errors.length && d.dry_run.result !== 'refused');
      this.$('manifest-status').textContent = `${ok ? 'Valid' : 'Not valid'} on ${r.context}. Nothing was applied.`;
      this.$('manifest-results').replaceChildren(...r.documents.map((d) => {
        const box = el('div', 'manifest-doc');
        box.append(el('h4', undefined, `${d.object.kind} ${d.object.namespace ? d.object.namespace + '/' : ''}${d.object.name}`));
        box.append(el('div', d.dry_run.result === 'accepted' && !d.object.errors.length ? '' : 'error', verdict(d)));
        const ul = el('ul');
        for (const f of d.object.findings) ul.append(el('li', `finding ${f.severity}`, `${f.severity} ${f.check}: ${f.title} (${f.control})`));
        box.append(ul);
        return box;
      }));
    } catch (e) {
      this.$('manifest-status').textContent = (e as { message: string }).message;
    }
  }
}
