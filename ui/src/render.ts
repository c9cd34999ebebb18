// Rendering answers. A model's markdown is untrusted: it goes through
// marked, then DOMPurify, so no script, handler or javascript: URL survives.
import DOMPurify from 'dompurify';
import { marked } from 'marked';
import type { Answer, AnswerEvent, ErrorCode } from './ipc';

export function safeMarkdown(md: string): string {
  const html = marked.parse(md, { async: false, gfm: true, breaks: true }) as string;
  return DOMPurify.sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'iframe', 'object', 'embed'],
    FORBID_ATTR: ['style'],
  });
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** One question and its answer, as the chat shows it. */
export interface Turn {
  requestId: string;
  question: string;
  streamed: string;
  steps: string[];
  answer?: Answer;
  error?: string;
  /** The error's code (`CONTEXT_OVERFLOW`, `ENGINE_UNREACHABLE`, …): what to do depends on it. */
  errorCode?: ErrorCode;
}

/** What a person can do about an error, by its code (the message says what happened). */
export function errorHint(code: ErrorCode | undefined): string | undefined {
  switch (code) {
    case 'MODEL_DOES_NOT_FIT': return 'This model does not fit in this machine\'s memory: load a smaller one in Models.';
    case 'CONTEXT_OVERFLOW': return 'The question and what the tools read do not fit the model\'s context: ask about fewer objects, or use a model with a larger context.';
    case 'ENGINE_UNREACHABLE': return 'The inference server does not answer: check that it runs, or pick the in-process engine in Models.';
    case 'ENGINE_REFUSED': return 'The inference server refused its API key: add it again with kubeask engines add NAME --endpoint URL --api-key-stdin.';
    case 'CLUSTER_UNREACHABLE': return 'The cluster does not answer: check the network or VPN, or pick another context.';
    case 'FORBIDDEN': return 'Your user may not read this (RBAC): ask the cluster admin for list and watch on it, or pick a context whose user may.';
    case 'UNAUTHORIZED': return 'The cluster refused these credentials: check the context\'s user, or sign in again.';
    case 'UNKNOWN_CONTEXT': return 'There is no such context: pick one in Cluster.';
    case 'CANCELLED': return 'Stopped.';
    default: return undefined;
  }
}

/** Applies a streamed event to its turn; returns whether it was for this turn. */
export function applyEvent(turn: Turn, requestId: string, ev: AnswerEvent): boolean {
  if (requestId !== turn.requestId) return false;
  switch (ev.type) {
    case 'token': turn.streamed += ev.text; break;
    case 'tool_call': turn.steps.push(`→ ${ev.tool} ${JSON.stringify(ev.arguments)}`); break;
    case 'tool_result': turn.steps.push(`← ${ev.tool}: ${ev.text}`); break;
    case 'routing': turn.steps.push(`route: ${ev.route}`); break;
    case 'final': turn.answer = ev.answer; break;
    case 'error': turn.error = ev.message; turn.errorCode = ev.code; break;
  }
  return true;
}

function copyButton(text: string): HTMLButtonElement {
  const b = el('button', 'copy', 'Copy');
  b.type = 'button';
  b.addEventListener('click', () => {
    void navigator.clipboard?.writeText(text).then(() => { b.textContent = 'Copied'; });
  });
  return b;
}

export function renderTurn(turn: Turn): HTMLElement {
  const root = el('article', 'turn');
  root.dataset.requestId = turn.requestId;
  root.append(el('div', 'question', turn.question));
  const body = el('div', 'answer');
  if (turn.error) {
    const hint = errorHint(turn.errorCode);
    const e = el('div', 'error', hint ? `${hint} (${turn.error})` : turn.error);
    if (turn.errorCode) e.dataset.code = turn.errorCode;
    body.append(e);
  } else if (!turn.answer) {
    body.append(el('div', 'short-answer pending', '…'));
    if (turn.streamed) body.append(el('pre', 'stream', turn.streamed));
  } else {
    const a = turn.answer;
    body.append(el('div', 'short-answer', a.short));
    if (a.warning) body.append(el('div', 'warning', a.warning));
    const meta = el('div', 'meta muted', `${a.mode}${a.engine ? ` (${a.engine})` : ''} · ${a.context} · ${a.elapsed_ms.toFixed(1)} ms`);
    body.append(meta);
    if (a.explanation && a.explanation !== a.short) {
      const ex = el('div', 'explanation');
      ex.innerHTML = safeMarkdown(a.explanation);
      body.append(ex);
    }
    if (a.evidence.length) {
      const d = el('details', 'evidence');
      d.append(el('summary', undefined, `Evidence (${a.evidence.length})`));
      const ul = el('ul');
      for (const e of a.evidence) ul.append(el('li', undefined, `${e.kind} ${e.namespace ? e.namespace + '/' : ''}${e.name}`));
      d.append(ul);
      body.append(d);
    }
    // Proposed changes (the model's, or an analyzer's fix): a button that
    // asks the app for the plan; nothing is applied from here.
    for (const p of a.proposals ?? []) {
      const t = p.target;
      const b = el('button', 'propose-button', `Review change: ${p.action} ${t.kind} ${t.namespace ? t.namespace + '/' : ''}${t.name}…`);
      b.type = 'button';
      b.addEventListener('click', () => document.dispatchEvent(new CustomEvent('kubeask:review', { detail: p })));
      body.append(b);
    }
    if (a.kubectl.length) {
      const d = el('details', 'kubectl');
      d.append(el('summary', undefined, 'kubectl'));
      for (const k of a.kubectl) {
        const row = el('div', 'cmd');
        row.append(el('code', undefined, k), copyButton(k));
        d.append(row);
      }
      body.append(d);
    }
  }
  if (turn.steps.length) {
    const d = el('details', 'steps');
    d.append(el('summary', undefined, `Steps (${turn.steps.length})`));
    for (const s of turn.steps) d.append(el('div', 'step muted', s));
    body.append(d);
  }
  root.append(body);
  return root;
}

export function turnMarkdown(turns: Turn[]): string {
  const out = ['# Kubeask conversation', ''];
  for (const t of turns) {
    out.push(`## ${t.question}`, '');
    if (t.answer) {
      out.push(`**${t.answer.short}**`, '', t.answer.explanation, '');
      if (t.answer.kubectl.length) out.push('```sh', ...t.answer.kubectl, '```', '');
    } else if (t.error) out.push(`Error: ${t.error}`, '');
  }
  return out.join('\n');
}

/**
 * Links in answers (model text, cluster text) open in the system browser,
 * never in the app's window: a click on a web link is handed to `open`;
 * any other link (file:, custom schemes, relative) does nothing. The app's
 * own downloads (an anchor with `download`, e.g. the Markdown export) pass.
 */
export function routeLinks(root: Document | HTMLElement, open: (url: string) => void): void {
  root.addEventListener('click', (e) => {
    const a = (e.target as Element | null)?.closest?.('a[href]') as HTMLAnchorElement | null;
    if (!a || a.hasAttribute('download')) return;
    e.preventDefault();
    let url: URL;
    try { url = new URL(a.getAttribute('href') ?? '', 'about:blank'); } catch { return; }
    if (url.protocol === 'http:' || url.protocol === 'https:') open(url.href);
  });
}
