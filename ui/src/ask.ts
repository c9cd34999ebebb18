// The Ask panel: streaming answers, stop, follow-ups in one conversation,
// conversation list, export.
import { Channel } from '@tauri-apps/api/core';
import { call, type Answer, type AnswerEvent, type CmdError } from './ipc';
import { applyEvent, el, renderTurn, turnMarkdown, type Turn } from './render';
import { Conversations } from './stores';

export class AskPanel {
  convs = new Conversations();
  running: string | null = null;
  constructor(private root: Document = document) {}

  $(id: string): HTMLElement { return this.root.getElementById(id)!; }

  async init(): Promise<void> {
    const q = this.$('question') as HTMLTextAreaElement;
    q.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); void this.ask(q.value); }
    });
    this.$('ask-form').addEventListener('submit', (e) => { e.preventDefault(); void this.ask(q.value); });
    this.$('stop-button').addEventListener('click', () => void this.stop());
    this.$('new-conversation').addEventListener('click', () => { this.convs.create(); this.render(); });
    this.$('export').addEventListener('click', () => this.export());
    this.render();
    // Conversations kept from earlier runs (and the CLI's sessions).
    try {
      this.convs.addKept(await call<{ id: string; title: string; turns: number }[]>('list_conversations'));
      this.render();
    } catch { /* not kept: questions are still answered */ }
  }

  async open(id: string): Promise<void> {
    this.convs.select(id);
    const c = this.convs.current;
    if (c.kept && !c.kept.loaded) {
      try { this.convs.fill(id, await call<Answer[]>('conversation', { id })); } catch { /* shown empty */ }
    }
    this.render();
  }

  onEvent(requestId: string, ev: AnswerEvent): void {
    const t = this.convs.findTurn(requestId);
    if (t && applyEvent(t, requestId, ev)) this.renderTurn(t);
  }

  async ask(text: string): Promise<Answer | undefined> {
    const question = text.trim();
    if (!question || this.running) return undefined;
    (this.$('question') as HTMLTextAreaElement).value = '';
    const requestId = `r${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    const turn: Turn = { requestId, question, streamed: '', steps: [] };
    this.convs.addTurn(turn);
    this.running = requestId;
    this.setRunning(true);
    this.render();
    try {
      // This question's events come on its own channel (not a broadcast).
      const onEvent = new Channel<AnswerEvent>();
      onEvent.onmessage = (ev) => this.onEvent(requestId, ev);
      const answer = await call<Answer>('ask', { requestId, question, session: this.convs.currentId, onEvent });
      turn.answer = answer;
      return answer;
    } catch (e) {
      const err = e as CmdError;
      turn.error = err.message;
      turn.errorCode = err.code;
      return undefined;
    } finally {
      this.running = null;
      this.setRunning(false);
      this.renderTurn(turn);
    }
  }

  async stop(): Promise<void> {
    if (this.running) await call('cancel_ask', { requestId: this.running }).catch(() => undefined);
  }

  setRunning(on: boolean): void {
    (this.$('stop-button') as HTMLButtonElement).disabled = !on;
    (this.$('ask-button') as HTMLButtonElement).disabled = on;
  }

  renderTurn(t: Turn): void {
    const old = this.root.querySelector(`[data-request-id="${t.requestId}"]`);
    const fresh = renderTurn(t);
    if (old) old.replaceWith(fresh);
    else this.$('turns').append(fresh);
    fresh.scrollIntoView?.({ block: 'end' });
  }

  render(): void {
    const turns = this.$('turns');
    turns.replaceChildren(...this.convs.current.turns.map(renderTurn));
    const list = this.$('conversation-list');
    list.replaceChildren(...this.convs.list.map((c) => {
      const li = el('li', c.id === this.convs.currentId ? 'current' : undefined, c.title);
      li.addEventListener('click', () => void this.open(c.id));
      return li;
    }));
  }

  export(): void {
    const md = turnMarkdown(this.convs.current.turns);
    const a = el('a');
    a.href = URL.createObjectURL(new Blob([md], { type: 'text/markdown' }));
    a.download = 'kubeask-conversation.md';
    a.click();
  }
}
