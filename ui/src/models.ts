// The Models panel: hardware, the recommended model, the catalog with
// download progress and cancel, import, installed models, load/unload.
import { listen } from '@tauri-apps/api/event';
import { call, type CatalogEntry, type DownloadProgress, type EngineEntry, type Hardware, type LocalModel, type ModelStatus } from './ipc';
import { el } from './render';
import { bytes } from './stores';

export class ModelsPanel {
  progress = new Map<string, DownloadProgress>();
  catalog: CatalogEntry[] = [];
  engines: EngineEntry[] = [];
  $(id: string): HTMLElement { return document.getElementById(id)!; }
  error(e: unknown): void { this.$('models-error').textContent = (e as { message: string }).message; }

  async init(): Promise<void> {
    await listen<DownloadProgress>('kubeask://download', (e) => {
      this.progress.set(e.payload.id, e.payload);
      this.renderCatalog();
      if (e.payload.state === 'done') void this.loadInstalled();
    });
    await listen<ModelStatus>('kubeask://model', (e) => this.renderStatus(e.payload));
    this.$('import-model').addEventListener('click', () => void this.importModel());
  }

  async load(): Promise<void> {
    try {
      const [hw, catalog, status, engines] = await Promise.all([
        call<Hardware>('hardware'), call<CatalogEntry[]>('catalog'), call<ModelStatus>('model_status'), call<EngineEntry[]>('list_engines'),
      ]);
      this.engines = engines;
      this.renderHardware(hw);
      this.catalog = catalog;
      this.renderCatalog();
      this.renderStatus(status);
      await this.loadInstalled();
    } catch (e) { this.error(e); }
  }

  renderHardware(hw: Hardware): void {
    const gpus = hw.devices.filter((d) => d.kind === 'gpu' || d.kind === 'igpu');
    const lines = [
      `RAM ${bytes(hw.ram_total)} (${bytes(hw.ram_available)} available)`,
      `CPU ${hw.cpu || 'unknown'}: ${hw.cores_physical} cores, ${hw.cores_logical} threads; llama.cpp variant ${hw.cpu_variant ?? 'unknown'}`,
      ...(hw.cpu_variant_notes ?? []).map((n) => `Note: ${n}`),
      `Backends: ${hw.backends.join(', ') || 'none'}`,
      gpus.length ? gpus.map((g) => `GPU ${g.description} (${g.backend}): ${bytes(g.memory_free)} free`).join('; ') : 'No GPU: models run on the CPU',
      ...(hw.gpu_notes ?? []).map((n) => `Note: ${n}`),
    ];
    this.$('hardware').replaceChildren(...lines.map((l) => el('div', undefined, l)));
  }

  async refreshEngines(): Promise<void> {
    try {
      const [engines, status] = await Promise.all([call<EngineEntry[]>('list_engines'), call<ModelStatus>('model_status')]);
      this.engines = engines;
      this.renderEngine(status);
    } catch (e) { this.error(e); }
  }

  // Which engine answers model mode: the in-process one (the loaded model)
  // or an inference server added with `kubeask engines add`.
  renderEngine(s: ModelStatus): void {
    const box = this.$('engine-choice');
    if (!this.engines.length) {
      box.textContent = 'In-process (the loaded model). A team inference server can be added with `kubeask engines add NAME --endpoint URL`.';
      return;
    }
    const pick = el('select') as HTMLSelectElement;
    pick.id = 'engine-select';
    pick.append(new Option('In-process (the loaded model)', ''));
    for (const e of this.engines) pick.append(new Option(`${e.name} — ${e.url}${e.model ? ` (${e.model})` : ''}`, e.name));
    pick.value = s.engine ?? '';
    pick.addEventListener('change', () => {
      pick.disabled = true;
      void call<ModelStatus>('use_engine', { name: pick.value || null })
        .then((x) => { this.$('models-error').textContent = ''; this.renderStatus(x); }, (e) => { this.error(e); pick.value = s.engine ?? ''; })
        .finally(() => { pick.disabled = false; });
    });
    const line = el('div', 'muted', s.remote ? `Model mode answers with ${s.remote}.` : 'Model mode answers with the loaded model, on this machine.');
    box.replaceChildren(pick, line);
  }

  renderStatus(s: ModelStatus): void {
    this.renderEngine(s);
    const box = this.$('model-status');
    if (!s.loaded) { box.textContent = 'No model loaded: direct mode answers the common questions.'; return; }
    const m = s.loaded;
    box.replaceChildren(el('div', undefined, `${m.name} (${m.architecture}) on ${m.backend} ${m.device}${m.cpu_variant ? ` [${m.cpu_variant}]` : ''}, ${m.gpu_layers} GPU layers, context ${m.n_ctx}${s.last_tps ? `, ${s.last_tps.toFixed(1)} tokens/s` : ''}`));
    const b = el('button', undefined, 'Unload');
    b.addEventListener('click', () => void call<ModelStatus>('unload_model').then((x) => this.renderStatus(x), (e) => this.error(e)));
    box.append(b);
  }

  renderCatalog(): void {
    const head = el('tr');
    for (const h of ['Model', 'Size', 'Needs', 'Here', '']) head.append(el('th', undefined, h));
    this.$('catalog').replaceChildren(head, ...this.catalog.map((m) => {
      const tr = el('tr', m.recommended ? 'recommended' : undefined);
      tr.append(el('td', undefined, `${m.name} ${m.quant}${m.recommended ? ' — recommended' : ''}`), el('td', undefined, bytes(m.size_bytes)),
        el('td', undefined, bytes(m.ram_bytes)), el('td', m.fits ? 'ok' : 'bad', m.installed ? 'installed' : m.fits ? 'fits' : 'too big'));
      const td = el('td');
      const p = this.progress.get(m.id);
      if (p && (p.state === 'running' || p.state === 'verifying')) {
        const bar = el('progress') as HTMLProgressElement;
        bar.max = p.total || 1;
        bar.value = p.downloaded;
        const eta = p.eta_secs != null ? `, ${Math.round(p.eta_secs)} s left` : '';
        td.append(bar, el('span', 'muted', ` ${p.state === 'verifying' ? 'verifying' : `${(p.bytes_per_sec / 1e6).toFixed(1)} MB/s${eta}`}`));
        const c = el('button', undefined, 'Cancel');
        c.addEventListener('click', () => void call('cancel_download', { id: m.id }));
        td.append(c);
      } else if (!m.installed) {
        const d = el('button', undefined, p?.state === 'cancelled' ? 'Resume' : 'Download');
        d.addEventListener('click', () => void call('download_model', { id: m.id }).catch((e) => this.error(e)));
        td.append(d);
        if (p?.state === 'error') td.append(el('span', 'error', ` ${p.message ?? ''}`));
      }
      tr.append(td);
      return tr;
    }));
  }

  async loadInstalled(): Promise<void> {
    const list = await call<LocalModel[]>('installed_models');
    const head = el('tr');
    for (const h of ['File', 'Size', 'Kind', '']) head.append(el('th', undefined, h));
    this.$('installed').replaceChildren(head, ...list.map((m) => {
      const tr = el('tr');
      tr.append(el('td', undefined, m.file), el('td', undefined, bytes(m.size_bytes)), el('td', m.problem ? 'bad' : undefined, m.problem ?? `${m.architecture ?? ''} ${m.quantization ?? ''}`));
      const td = el('td');
      if (!m.problem) {
        const b = el('button', undefined, 'Load');
        b.addEventListener('click', () => {
          b.disabled = true;
          b.textContent = 'Loading…';
          void call<ModelStatus>('load_model', { path: m.path }).then((s) => this.renderStatus(s), (e) => this.error(e)).finally(() => { b.disabled = false; b.textContent = 'Load'; });
        });
        td.append(b);
      }
      tr.append(td);
      return tr;
    }));
  }

  async importModel(): Promise<void> {
    // The file is picked in the system's file dialog (the app never takes a
    // typed path); null when the dialog is cancelled.
    try {
      const added = await call<LocalModel | null>('import_model');
      this.$('models-error').textContent = '';
      if (added) await this.loadInstalled();
    }
    catch (e) { this.error(e); }
  }
}
