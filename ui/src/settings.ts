// The Settings panel: theme, read-only, shortcut, kubeconfig import.
import { call, type Settings } from './ipc';
import { applyTheme, defaultSettings } from './stores';

export class SettingsPanel {
  settings: Settings = { ...defaultSettings };
  $(id: string): HTMLElement { return document.getElementById(id)!; }

  async init(): Promise<void> {
    try { this.settings = await call<Settings>('get_settings'); } catch { /* defaults */ }
    this.render();
    applyTheme(this.settings.theme);
    this.$('theme').addEventListener('change', (e) => void this.save({ theme: (e.target as HTMLSelectElement).value as Settings['theme'] }));
    this.$('read-only').addEventListener('change', (e) => void this.save({ readOnly: (e.target as HTMLInputElement).checked }));
    this.$('shortcut').addEventListener('change', (e) => void this.save({ shortcut: (e.target as HTMLInputElement).value }));
    this.$('import-kubeconfig').addEventListener('click', () => void this.importKubeconfig());
    matchMedia?.('(prefers-color-scheme: dark)').addEventListener?.('change', () => applyTheme(this.settings.theme));
  }

  render(): void {
    (this.$('theme') as HTMLSelectElement).value = this.settings.theme;
    (this.$('read-only') as HTMLInputElement).checked = this.settings.readOnly;
    (this.$('shortcut') as HTMLInputElement).value = this.settings.shortcut;
    this.$('data-dir').textContent = this.settings.dataDir;
    this.$('log-dir').textContent = this.settings.logDir;
  }

  async save(change: Partial<Settings>): Promise<void> {
    this.settings = { ...this.settings, ...change };
    applyTheme(this.settings.theme);
    try {
      this.settings = await call<Settings>('set_settings', { settings: this.settings });
      this.$('settings-status').textContent = 'Saved.';
    } catch (e) {
      this.$('settings-status').textContent = (e as { message: string }).message;
    }
  }

  async importKubeconfig(): Promise<void> {
    try {
      const ctx = await call<{ name: string }[] | null>('import_kubeconfig');
      if (!ctx) return;
      this.$('settings-status').textContent = `Imported; contexts: ${ctx.map((c) => c.name).join(', ')}`;
    } catch (e) {
      this.$('settings-status').textContent = (e as { message: string }).message;
    }
  }
}
