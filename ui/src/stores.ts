// Small stores: conversations (kept in the conversations file the CLI
// shares, loaded when opened) and settings.
import type { Answer, Settings } from './ipc';
import type { Turn } from './render';

/** A conversation; `kept` ones come from the conversations file and load their turns when opened. */
export interface Conversation { id: string; title: string; turns: Turn[]; kept?: { turns: number; loaded: boolean } }

export class Conversations {
  list: Conversation[] = [];
  currentId = '';
  constructor() { this.create(); }
  create(): Conversation {
    const c: Conversation = { id: `c${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`, title: 'New conversation', turns: [] };
    this.list.unshift(c);
    this.currentId = c.id;
    return c;
  }
  get current(): Conversation { return this.list.find((c) => c.id === this.currentId) ?? this.create(); }
  select(id: string): void { if (this.list.some((c) => c.id === id)) this.currentId = id; }
  /** Conversations kept from earlier runs (and the CLI's), after the fresh one. */
  addKept(kept: { id: string; title: string; turns: number }[]): void {
    for (const k of kept) {
      if (!this.list.some((c) => c.id === k.id)) this.list.push({ id: k.id, title: k.title, turns: [], kept: { turns: k.turns, loaded: false } });
    }
  }
  /** A kept conversation's answers as its turns. */
  fill(id: string, answers: Answer[]): void {
    const c = this.list.find((x) => x.id === id);
    if (!c) return;
    c.turns = answers.map((a, i) => ({ requestId: `${id}-${i}`, question: a.question, streamed: '', steps: [], answer: a }));
    if (c.kept) c.kept.loaded = true;
  }
  addTurn(t: Turn): void {
    const c = this.current;
    if (!c.turns.length) c.title = t.question.slice(0, 60);
    c.turns.push(t);
  }
  findTurn(requestId: string): Turn | undefined {
    for (const c of this.list) { const t = c.turns.find((x) => x.requestId === requestId); if (t) return t; }
    return undefined;
  }
}

export const defaultSettings: Settings = { theme: 'system', readOnly: true, shortcut: 'Ctrl+Shift+K', dataDir: '', logDir: '', context: null, model: null, engine: null };

export function applyTheme(theme: Settings['theme'], root: HTMLElement = document.documentElement): void {
  const dark = theme === 'dark' || (theme === 'system' && typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches);
  root.dataset.theme = dark ? 'dark' : 'light';
}

const order = { critical: 0, warning: 1, info: 2 } as const;
export function worstFirst<T extends { severity: keyof typeof order }>(items: T[]): T[] {
  return [...items].sort((a, b) => order[a.severity] - order[b.severity]);
}

export function statusClass(status: string): string {
  // A cordoned node is Ready but needs attention: check that first.
  if (/SchedulingDisabled/.test(status) || /^(Pending|ContainerCreating|Init|Unknown)/.test(status)) return 'warn';
  if (/^(Running|Ready|Completed|Succeeded)$/.test(status)) return 'ok';
  return 'bad';
}

export function bytes(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(1)} GB` : `${(n / 1e6).toFixed(0)} MB`;
}
