// Answer rendering: the short answer first; a model's hostile markdown or
// HTML never becomes executable; streamed events land on the right turn.
import { describe, expect, it } from 'vitest';
import type { Answer } from '../src/ipc';
import { applyEvent, renderTurn, routeLinks, safeMarkdown, turnMarkdown, type Turn } from '../src/render';

const answer = (over: Partial<Answer> = {}): Answer => ({
  question: 'how many nodes?', short: '3', explanation: 'There are **3** nodes.', evidence: [{ kind: 'Node', namespace: '', name: 'shop-node-1' }],
  kubectl: ['kubectl get nodes'], mode: 'direct', context: 'kubeask-demo', elapsed_ms: 0.4, ...over,
});

describe('answers', () => {
  it('shows the short answer, evidence and kubectl with a copy button', () => {
    const el = renderTurn({ requestId: 'r1', question: 'how many nodes?', streamed: '', steps: [], answer: answer() });
    expect(el.querySelector('.short-answer')!.textContent).toBe('3');
    expect(el.querySelector('.evidence')!.textContent).toContain('shop-node-1');
    expect(el.querySelector('.kubectl code')!.textContent).toBe('kubectl get nodes');
    expect(el.querySelector('.kubectl button.copy')).not.toBeNull();
    expect(el.querySelector('.explanation strong')!.textContent).toBe('3');
  });

  it('never lets model output execute', () => {
    const hostile = [
      '<img src=x onerror="window.__pwned=1">',
      '<script>window.__pwned=1</script>',
      '[click](javascript:window.__pwned=1)',
      '<a href="javascript:alert(1)">x</a><iframe src="https://evil"></iframe>',
      '<svg><script>alert(1)</script></svg><div onclick="alert(1)" style="position:fixed">x</div>',
    ].join('\n\n');
    const html = safeMarkdown(hostile);
    expect(html).not.toMatch(/<script|onerror|onclick|javascript:|<iframe|style=/i);
    const el = renderTurn({ requestId: 'r2', question: 'q', streamed: '', steps: [], answer: answer({ mode: 'model', explanation: hostile }) });
    document.body.append(el);
    expect(el.querySelectorAll('script, iframe, [onerror], [onclick]').length).toBe(0);
    for (const a of el.querySelectorAll('a')) expect(a.getAttribute('href') ?? '').not.toMatch(/^javascript:/i);
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
  });

  it('applies streamed events only to their own turn', () => {
    const t: Turn = { requestId: 'a', question: 'q', streamed: '', steps: [] };
    expect(applyEvent(t, 'b', { type: 'token', text: 'nope' })).toBe(false);
    applyEvent(t, 'a', { type: 'routing', route: 'model' });
    applyEvent(t, 'a', { type: 'tool_call', tool: 'list', arguments: { kind: 'pod' } });
    applyEvent(t, 'a', { type: 'token', text: '{"ans' });
    applyEvent(t, 'a', { type: 'token', text: 'wer"' });
    expect(t.streamed).toBe('{"answer"');
    expect(renderTurn(t).querySelector('.short-answer.pending')).not.toBeNull();
    applyEvent(t, 'a', { type: 'final', answer: answer({ short: '17' }) });
    expect(renderTurn(t).querySelector('.short-answer')!.textContent).toBe('17');
    const e: Turn = { requestId: 'c', question: 'q', streamed: '', steps: [] };
    applyEvent(e, 'c', { type: 'error', code: 'CLUSTER_UNREACHABLE', message: 'cannot reach the cluster' });
    expect(renderTurn(e).querySelector('.error')!.textContent).toContain('cannot reach');
  });

  it('exports a conversation as markdown', () => {
    const md = turnMarkdown([{ requestId: 'r', question: 'how many nodes?', streamed: '', steps: [], answer: answer() }]);
    expect(md).toContain('## how many nodes?');
    expect(md).toContain('**3**');
    expect(md).toContain('kubectl get nodes');
  });
});

describe('proposals in an answer', () => {
  it('offer a review button that asks for the plan and applies nothing', () => {
    const action = { action: 'scale' as const, target: { kind: 'deployment', namespace: 'shop', name: 'web' }, replicas: 4 };
    const turn = { requestId: 'r', question: 'q', streamed: '', steps: [], answer: {
      question: 'q', short: 'proposed', explanation: '', evidence: [], kubectl: [], mode: 'model' as const, context: 'c', elapsed_ms: 1,
      proposals: [action] } };
    const node = renderTurn(turn);
    const b = node.querySelector<HTMLButtonElement>('.propose-button')!;
    expect(b.textContent).toBe('Review change: scale deployment shop/web…');
    let asked: unknown = null;
    document.addEventListener('kubeask:review', (e) => { asked = (e as CustomEvent).detail; });
    b.click();
    expect(asked).toEqual(action);
  });
});

describe('links in answers', () => {
  it('open web links in the system browser and never navigate the window', () => {
    const root = document.createElement('div');
    document.body.append(root);
    const opened: string[] = [];
    routeLinks(root, (u) => opened.push(u));
    root.append(renderTurn({ requestId: 'r', question: 'q', streamed: '', steps: [], answer: answer({
      explanation: 'See [the docs](https://kubernetes.io/docs/) or [this](file:///etc/passwd) or [that](ssh://host) or [here](/index.html).',
    }) }));
    const clicks = [...root.querySelectorAll('a[href]')].map((a) => {
      const ev = new MouseEvent('click', { bubbles: true, cancelable: true });
      a.dispatchEvent(ev);
      return ev.defaultPrevented;
    });
    // DOMPurify already drops file: and ssh: hrefs; the web link and the relative one remain.
    expect(clicks.length).toBe(2);
    expect(clicks.every((prevented) => prevented)).toBe(true);
    expect(opened).toEqual(['https://kubernetes.io/docs/']);
    // The app's own download (the Markdown export) is not intercepted.
    const dl = document.createElement('a');
    dl.href = 'blob:x'; dl.download = 'chat.md';
    root.append(dl);
    let passed = false;
    // Runs after routeLinks: notes whether it let the click through, then
    // stops jsdom (which cannot navigate) from trying.
    root.addEventListener('click', (e) => { passed = !e.defaultPrevented; e.preventDefault(); });
    dl.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true }));
    expect(passed).toBe(true);
    root.remove();
  });
});
