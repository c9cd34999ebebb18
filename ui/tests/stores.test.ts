// Stores and the IPC-driven panels with Tauri's IPC mocks.
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import type { Channel } from '@tauri-apps/api/core';
import { afterEach, describe, expect, it } from 'vitest';
import { applyTheme, Conversations, statusClass, worstFirst } from '../src/stores';
import { AskPanel } from '../src/ask';
import { ClusterPanel } from '../src/cluster';
import type { AnswerEvent, ClusterView, ContextInfo } from '../src/ipc';

afterEach(() => clearMocks());

describe('stores', () => {
  it('keeps conversations and titles them by their first question', () => {
    const c = new Conversations();
    c.addTurn({ requestId: 'r1', question: 'why is checkout crashing?', streamed: '', steps: [] });
    expect(c.current.title).toBe('why is checkout crashing?');
    const first = c.currentId;
    c.create();
    expect(c.current.turns.length).toBe(0);
    c.select(first);
    expect(c.findTurn('r1')?.question).toBe('why is checkout crashing?');
  });

  it('sorts findings worst first and colours statuses', () => {
    const f = worstFirst([{ severity: 'info' as const }, { severity: 'critical' as const }, { severity: 'warning' as const }]);
    expect(f.map((x) => x.severity)).toEqual(['critical', 'warning', 'info']);
    expect(statusClass('Running')).toBe('ok');
    expect(statusClass('Pending')).toBe('warn');
    expect(statusClass('CrashLoopBackOff')).toBe('bad');
    expect(statusClass('Ready,SchedulingDisabled')).toBe('warn');
  });

  it('applies the theme', () => {
    const root = document.createElement('html');
    applyTheme('dark', root);
    expect(root.dataset.theme).toBe('dark');
    applyTheme('light', root);
    expect(root.dataset.theme).toBe('light');
  });
});

describe('the Ask panel over mocked IPC', () => {
  function dom(): void {
    document.body.innerHTML = `<ul id="conversation-list"></ul><button id="new-conversation"></button><button id="export"></button>
      <div id="turns"></div><form id="ask-form"><textarea id="question"></textarea><button id="ask-button"></button><button id="stop-button"></button></form>`;
  }

  it('streams tokens into the pending turn, then shows the final short answer', async () => {
    dom();
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    mockIPC(async (cmd, args) => {
      if (cmd === 'ask') {
        // Events come on the channel the asking window passed.
        const { onEvent } = args as { onEvent: Channel<AnswerEvent> };
        onEvent.onmessage({ type: 'token', text: 'thinking' });
        await gate;
        return { question: 'q', short: '17', explanation: '', evidence: [], kubectl: [], mode: 'model', context: 'demo', elapsed_ms: 5 };
      }
      return null;
    }, { shouldMockEvents: true });
    const panel = new AskPanel();
    await panel.init();
    const done = panel.ask('how many pods in shop?');
    await new Promise((r) => setTimeout(r, 20));
    expect(document.querySelector('.stream')?.textContent).toBe('thinking');
    expect((document.getElementById('stop-button') as HTMLButtonElement).disabled).toBe(false);
    release();
    await done;
    expect(document.querySelector('.short-answer')!.textContent).toBe('17');
    expect((document.getElementById('stop-button') as HTMLButtonElement).disabled).toBe(true);
  });

  it('shows a failed command as an inline error, and Stop cancels by request id', async () => {
    dom();
    const seen: string[] = [];
    mockIPC((cmd, args) => {
      seen.push(cmd);
      if (cmd === 'ask') return Promise.reject({ code: 'CLUSTER_UNREACHABLE', message: 'cannot reach kubeask-demo' });
      if (cmd === 'cancel_ask') seen.push((args as { requestId: string }).requestId);
      return null;
    }, { shouldMockEvents: true });
    const panel = new AskPanel();
    await panel.init();
    await panel.ask('how many nodes?');
    expect(document.querySelector('.turn .error')!.textContent).toContain('cannot reach kubeask-demo');
    panel.running = 'r-x';
    await panel.stop();
    expect(seen).toContain('r-x');
  });
});

describe('errors by their code', () => {
  it('says what to do about a model error, by its code, with what happened', async () => {
    document.body.innerHTML = `<ul id="conversation-list"></ul><button id="new-conversation"></button><button id="export"></button>
      <div id="turns"></div><form id="ask-form"><textarea id="question"></textarea><button id="ask-button"></button><button id="stop-button"></button></form>`;
    const errors: Record<string, string> = {
      'q1': 'CONTEXT_OVERFLOW', 'q2': 'ENGINE_UNREACHABLE', 'q3': 'MODEL_DOES_NOT_FIT', 'q4': 'FORBIDDEN', 'q5': 'CANCELLED', 'q6': 'SOMETHING_NEW',
    };
    mockIPC((cmd, args) => {
      if (cmd === 'ask') { const q = (args as { question: string }).question; return Promise.reject({ code: errors[q], message: `what happened to ${q}` }); }
      return null;
    }, { shouldMockEvents: true });
    const panel = new AskPanel();
    await panel.init();
    for (const q of Object.keys(errors)) await panel.ask(q);
    const shown = [...document.querySelectorAll('.turn .error')].map((e) => [(e as HTMLElement).dataset.code, e.textContent]);
    expect(shown.map((s) => s[0])).toEqual(Object.values(errors));
    expect(shown[0][1]).toContain('larger context');
    expect(shown[1][1]).toContain('in-process engine');
    expect(shown[2][1]).toContain('smaller one');
    expect(shown[3][1]).toContain('RBAC');
    expect(shown[0][1]).toContain('what happened to q1');
    expect(shown[5][1]).toBe('what happened to q6');
  });

  it('tells a cluster that does not answer, a kind RBAC forbids and an unknown context apart', async () => {
    document.body.innerHTML = `<ul id="conversation-list"></ul><button id="new-conversation"></button><button id="export"></button>
      <div id="turns"></div><form id="ask-form"><textarea id="question"></textarea><button id="ask-button"></button><button id="stop-button"></button></form>`;
    const errors: Record<string, string> = { 'q1': 'CLUSTER_UNREACHABLE', 'q2': 'FORBIDDEN', 'q3': 'UNKNOWN_CONTEXT', 'q4': 'UNAUTHORIZED' };
    mockIPC((cmd, args) => {
      if (cmd === 'ask') { const q = (args as { question: string }).question; return Promise.reject({ code: errors[q], message: `what happened to ${q}` }); }
      return null;
    });
    const panel = new AskPanel();
    await panel.init();
    for (const q of Object.keys(errors)) await panel.ask(q);
    const shown = [...document.querySelectorAll('.turn .error')].map((e) => [(e as HTMLElement).dataset.code, e.textContent ?? '']);
    expect(shown.map((s) => s[0])).toEqual(Object.values(errors));
    expect(shown[0][1]).toContain('does not answer');
    expect(shown[1][1]).toContain('may not read');
    expect(shown[2][1]).toContain('no such context');
    expect(shown[3][1]).toContain('credentials');
    expect(new Set(shown.map((s) => s[1])).size).toBe(4);
  });
});

describe('kept conversations', () => {
  it('lists kept conversations, loads one when opened, and asks in the current one', async () => {
    document.body.innerHTML = `<ul id="conversation-list"></ul><button id="new-conversation"></button><button id="export"></button>
      <div id="turns"></div><form id="ask-form"><textarea id="question"></textarea><button id="ask-button"></button><button id="stop-button"></button></form>`;
    const asked: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'list_conversations') return [{ id: 'k1', title: 'why is checkout failing?', created: '2026-12-01T10:00:00Z', turns: 1 }];
      if (cmd === 'conversation') {
        return (args as { id: string }).id === 'k1'
          ? [{ question: 'why is checkout failing?', short: 'CrashLoopBackOff', explanation: '', evidence: [], kubectl: [], mode: 'direct', context: 'demo', elapsed_ms: 3 }]
          : [];
      }
      if (cmd === 'ask') { asked.push(args); return { question: 'and its logs?', short: 'ok', explanation: '', evidence: [], kubectl: [], mode: 'direct', context: 'demo', elapsed_ms: 1 }; }
      return null;
    }, { shouldMockEvents: true });
    const panel = new AskPanel();
    await panel.init();
    const items = [...document.querySelectorAll('#conversation-list li')].map((li) => li.textContent);
    expect(items).toEqual(['New conversation', 'why is checkout failing?']);
    (document.querySelectorAll('#conversation-list li')[1] as HTMLElement).click();
    await new Promise((r) => setTimeout(r, 20));
    expect(document.querySelector('.short-answer')!.textContent).toBe('CrashLoopBackOff');
    await panel.ask('and its logs?');
    expect((asked[0] as { session: string }).session).toBe('k1');
  });
});

describe('the Cluster panel over mocked IPC', () => {
  function dom(): void {
    document.body.innerHTML = `<span id="context-badge"></span><section id="panel-cluster" class="panel active">
      <select id="context"></select><span id="context-error"></span><button id="refresh-cluster"></button>
      <p id="health"></p><div id="findings"></div><input id="node-filter" /><table id="nodes"></table>
      <input id="pod-filter" /><table id="pods"></table></section>`;
  }
  const view = (context: string, pods: number): ClusterView => ({
    context, healthy: true, summary: `3 nodes, ${pods} pods`, findings: [], nodes: [],
    pods: Array.from({ length: pods }, (_, i) => ({ namespace: 'shop', name: `p${i}`, status: 'Running', ready: '1/1', restarts: 0, node: 'n1', age: '1d' })),
  } as unknown as ClusterView);
  const contexts = (current: string): ContextInfo[] => ['prod', 'staging'].map((name) => ({ name, current: name === current, server: '', reachable: true, demo: false }));
  const selected = () => { const s = document.getElementById('context') as HTMLSelectElement; return s.options[s.selectedIndex]?.textContent; };

  it('follows a context switch made in the tray: switcher, badge and view', async () => {
    dom();
    let current = 'prod';
    mockIPC((cmd) => {
      if (cmd === 'list_contexts') return contexts(current);
      if (cmd === 'cluster_view') return view(current, current === 'prod' ? 2 : 5);
      return null;
    }, { shouldMockEvents: true });
    const panel = new ClusterPanel();
    await panel.init();
    await panel.load();
    expect(document.getElementById('health')!.textContent).toBe('prod: 3 nodes, 2 pods');
    current = 'staging';
    await emit('kubeask://context', contexts('staging'));
    await new Promise((r) => setTimeout(r, 20));
    expect(selected()).toBe('staging (current)');
    expect(document.getElementById('context-badge')!.textContent).toBe('staging');
    expect(document.getElementById('health')!.textContent).toBe('staging: 3 nodes, 5 pods');
  });

  it('draws pushed views at once when shown, and a hidden one when the panel opens', async () => {
    dom();
    mockIPC(() => null, { shouldMockEvents: true });
    const panel = new ClusterPanel();
    await panel.init();
    await emit('kubeask://cluster', view('prod', 4));
    await new Promise((r) => setTimeout(r, 20));
    expect(document.querySelectorAll('#pods tr').length).toBeGreaterThanOrEqual(4);
    document.getElementById('panel-cluster')!.classList.remove('active');
    await emit('kubeask://cluster', view('prod', 7));
    await new Promise((r) => setTimeout(r, 20));
    expect(document.getElementById('health')!.textContent).toBe('prod: 3 nodes, 4 pods');
    document.getElementById('panel-cluster')!.classList.add('active');
    panel.shown();
    expect(document.getElementById('health')!.textContent).toBe('prod: 3 nodes, 7 pods');
  });
});

describe('Fix… over mocked IPC', () => {
  it('plans the finding\'s action, shows the dry-run diff and permissions, and applies only that plan on Apply', async () => {
    document.body.innerHTML = `<section id="panel-cluster" class="panel active">
      <select id="context"></select><span id="context-error"></span><button id="refresh-cluster"></button>
      <p id="health"></p><div id="findings"></div><ul id="audit"></ul><input id="node-filter" /><table id="nodes"></table>
      <input id="pod-filter" /><table id="pods"></table></section>
      <dialog id="plan-dialog"><h3 id="plan-summary"></h3><table id="plan-diff"></table><ul id="plan-radius"></ul>
      <ul id="plan-permissions"></ul><p id="plan-undo"></p><p id="plan-result"></p>
      <button id="plan-apply"></button><button id="plan-close"></button></dialog>`;
    const action = { action: 'scale', target: { kind: 'deployment', namespace: 'shop', name: 'web' }, replicas: 3 };
    const calls: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      if (cmd === 'cluster_view') {
        return { context: 'c', healthy: false, summary: 's', nodes: [], pods: [],
          findings: [{ severity: 'warning', kind: 'Deployment', namespace: 'shop', name: 'web', title: 't', evidence: [], fix: 'scale it', action }] };
      }
      if (cmd === 'plan_action') {
        return { id: 'p1', context: 'c', action, summary: 'scale deployment shop/web from 2 to 3 replicas', resource_version: '7',
          diff: [{ path: 'spec.replicas', before: 2, after: 3 }], blast_radius: ['1 pods will be started'],
          permissions: [{ verb: 'patch', resource: 'deployments', namespace: 'shop', allowed: true }], undo: action };
      }
      if (cmd === 'apply_plan') return { audit_id: 4, plan_id: 'p1', converged: true, result: '3 of 3 replicas ready', undoable: true };
      if (cmd === 'audit_log') return [];
      if (cmd === 'list_contexts') return [];
      return null;
    }, { shouldMockEvents: true });
    const panel = new ClusterPanel();
    await panel.init();
    await panel.loadView();
    const fix = document.querySelector<HTMLButtonElement>('#findings .fix-button')!;
    expect(fix.textContent).toBe('Fix…');
    fix.click();
    await new Promise((r) => setTimeout(r, 20));
    expect(calls.find(([c]) => c === 'plan_action')![1]).toEqual({ action });
    expect(calls.some(([c]) => c === 'apply_plan')).toBe(false);
    expect(document.getElementById('plan-diff')!.textContent).toContain('spec.replicas');
    expect(document.getElementById('plan-permissions')!.textContent).toContain('may patch deployments in shop');
    expect((document.getElementById('plan-apply') as HTMLButtonElement).disabled).toBe(false);
    document.getElementById('plan-apply')!.click();
    await new Promise((r) => setTimeout(r, 20));
    expect(calls.find(([c]) => c === 'apply_plan')![1]).toEqual({ planId: 'p1' });
    expect(document.getElementById('plan-result')!.textContent).toContain('Done: 3 of 3 replicas ready (audit entry 4)');
  });
});
