// The tray's quick-query window: Enter asks the current context, the short
// answer shows with a link to the full answer; Esc hides.
import { Channel } from '@tauri-apps/api/core';
import { call, type Answer, type AnswerEvent, type Settings } from './ipc';
import { applyTheme } from './stores';

const input = document.getElementById('question') as HTMLInputElement;
const short = document.querySelector<HTMLElement>('.short-answer')!;
const open = document.getElementById('open-main') as HTMLAnchorElement;
let last = '';

async function hide(): Promise<void> {
  try {
    const { getCurrentWindow } = await import('@tauri-apps/api/window');
    await getCurrentWindow().hide();
  } catch { /* not in Tauri */ }
}

document.getElementById('quick-form')!.addEventListener('submit', (e) => {
  e.preventDefault();
  const question = input.value.trim();
  if (!question) return;
  last = question;
  short.textContent = '…';
  open.hidden = true;
  // The quick window shows the short answer only: its stream is not drawn.
  call<Answer>('ask', { requestId: `q${Date.now()}`, question, onEvent: new Channel<AnswerEvent>() }).then(
    (a) => { short.textContent = a.short; open.hidden = false; },
    (err) => { short.textContent = (err as { message: string }).message; },
  );
});
open.addEventListener('click', (e) => { e.preventDefault(); void call('open_main', { question: last }); });
document.addEventListener('keydown', (e) => { if (e.key === 'Escape') void hide(); });

// The main window's theme, read again each time the window is shown (the
// setting may have changed meanwhile); the question is selected for typing.
async function refresh(): Promise<void> {
  try { applyTheme((await call<Settings>('get_settings')).theme); } catch { /* keep the current look */ }
  input.select();
}
window.addEventListener('focus', () => void refresh());
void refresh();
