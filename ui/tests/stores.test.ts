// Stores and the IPC-driven panels with Tauri's IPC mocks.
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import { afterEach, describe, expect, it } from 'vitest';
import { applyTheme, Conversations, statusClass, worstFirst } from '../src/stores';
import { AskPanel } from '../src/ask';

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
        const { requestId } = args as { requestId: string };
        await emit('kubeask://answer', { requestId, event: { type: 'token', text: 'thinking' } });
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
