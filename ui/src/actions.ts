// "Fix…": a finding's proposed action is planned by the app (the API
// server's dry run and permission check), shown in a dialog with its diff,
// blast radius and permissions, and applied only when the user presses
// Apply. The audit list shows every change and offers Undo.
import { call, type Action, type Applied, type AuditEntry, type Plan } from './ipc';
import { el } from './render';

const $ = (id: string): HTMLElement => document.getElementById(id)!;
const show = (v: unknown): string => (v === null || v === undefined ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v));

export class ActionsUi {
  plan: Plan | null = null;
  onChange: () => void = () => undefined;

  initialized = false;

  init(): void {
    if (this.initialized) return;
    this.initialized = true;
    // A proposal in an answer asks for its plan here.
    document.addEventListener('kubeask:review', (e) => void this.open({ action: (e as CustomEvent<Action>).detail }));
    // NB: delegated, so a dialog drawn later (or again) works the same.
    document.addEventListener('click', (e) => {
      const id = (e.target as HTMLElement | null)?.id;
      if (id === 'plan-close') ($('plan-dialog') as HTMLDialogElement).close();
      if (id === 'plan-apply') void this.apply();
    });
  }

  /** Plans an action (or the undo of an audit entry) and opens the dialog. */
  async open(what: { action: Action } | { undo: number }): Promise<void> {
    const dialog = $('plan-dialog') as HTMLDialogElement;
    this.plan = null;
    $('plan-summary').textContent = 'Planning…';
    for (const id of ['plan-diff', 'plan-radius', 'plan-permissions']) $(id).replaceChildren();
    $('plan-undo').textContent = '';
    $('plan-result').textContent = '';
    $('plan-result').className = '';
    ($('plan-apply') as HTMLButtonElement).disabled = true;
    if (!dialog.open) {
      if (typeof dialog.showModal === 'function') dialog.showModal(); else dialog.setAttribute('open', '');
    }
    try {
      this.plan = 'action' in what
        ? await call<Plan>('plan_action', { action: what.action })
        : await call<Plan>('plan_undo', { id: what.undo });
    } catch (e) {
      $('plan-summary').textContent = 'Cannot plan this change';
      this.result((e as { message: string }).message, false);
      return;
    }
    this.render(this.plan);
  }

  render(p: Plan): void {
    $('plan-summary').textContent = `${p.summary} (context ${p.context})`;
    const head = el('tr');
    for (const h of ['Field', 'Now', 'After']) head.append(el('th', undefined, h));
    $('plan-diff').replaceChildren(head, ...p.diff.map((c) => {
      const tr = el('tr');
      tr.append(el('td', undefined, c.path), el('td', undefined, show(c.before)), el('td', undefined, show(c.after)));
      return tr;
    }));
    $('plan-radius').replaceChildren(...p.blast_radius.map((b) => el('li', undefined, b)));
    $('plan-permissions').replaceChildren(...p.permissions.map((x) =>
      el('li', x.allowed ? 'ok' : 'bad', `${x.allowed ? '✓ may' : '✗ may not'} ${x.verb} ${x.resource}${x.namespace ? ` in ${x.namespace}` : ''}`)));
    $('plan-undo').textContent = p.undo ? 'Can be undone from the Actions list.' : 'Cannot be undone.';
    const permitted = p.permissions.every((x) => x.allowed);
    ($('plan-apply') as HTMLButtonElement).disabled = !permitted;
    if (!permitted) this.result('Your user lacks a permission this change needs.', false);
  }

  async apply(): Promise<void> {
    const p = this.plan;
    if (!p) return;
    ($('plan-apply') as HTMLButtonElement).disabled = true;
    this.result('Applying…', true);
    try {
      const a = await call<Applied>('apply_plan', { planId: p.id });
      this.result(`${a.converged ? 'Done' : 'Applied, not converged'}: ${a.result} (audit entry ${a.audit_id})`, a.converged);
    } catch (e) {
      this.result((e as { message: string }).message, false);
    }
    this.plan = null;
    await this.loadAudit();
    this.onChange();
  }

  result(text: string, ok: boolean): void {
    $('plan-result').textContent = text;
    $('plan-result').className = ok ? 'ok' : 'bad';
  }

  async loadAudit(): Promise<void> {
    const list = document.getElementById('audit');
    if (!list) return;
    let entries: AuditEntry[] = [];
    try { entries = (await call<AuditEntry[] | null>('audit_log')) ?? []; } catch { /* shown empty */ }
    const undone = new Set(entries.filter((e) => e.undoes !== null && e.step === 'applied').map((e) => e.undoes));
    list.replaceChildren(...entries.map((e) => {
      const li = el('li', `audit ${e.step}`, `#${e.id} ${e.at.slice(0, 19).replace('T', ' ')} ${e.user}@${e.context}: ${e.step} — ${e.summary} — ${e.outcome}`);
      if (e.undo && e.step === 'applied' && !undone.has(e.id) && !e.outcome.startsWith('failed')) {
        const b = el('button', 'undo-button', 'Undo');
        b.addEventListener('click', () => void this.open({ undo: e.id }));
        li.append(' ', b);
      }
      return li;
    }));
    if (!entries.length) list.textContent = 'No actions yet.';
  }
}

/** The one instance: the Cluster panel's Fix… and the answers' proposals share the dialog. */
export const actionsUi = new ActionsUi();
