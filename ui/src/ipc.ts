// The IPC contract (docs/desktop-api.md): typed wrappers so a failed command
// always rejects with {code, message} the UI can show.
import { invoke } from '@tauri-apps/api/core';

export type Mode = 'direct' | 'model' | 'unanswered';
export interface Evidence { kind: string; namespace: string; name: string }
export interface Answer {
  question: string; short: string; explanation: string; evidence: Evidence[]; kubectl: string[];
  mode: Mode; context: string; elapsed_ms: number; warning?: string;
  /** In model mode, the engine that answered. */
  engine?: string;
  /** Changes proposed (never applied): each may be planned and confirmed. */
  proposals?: Action[];
}
export type AnswerEvent =
  | { type: 'routing'; route: string }
  | { type: 'tool_call'; tool: string; arguments: unknown }
  | { type: 'tool_result'; tool: string; text: string }
  | { type: 'malformed'; text: string }
  | { type: 'token'; text: string }
  | { type: 'final'; answer: Answer }
  | { type: 'error'; code: string; message: string };
export interface ContextInfo { name: string; current: boolean; server: string; reachable: boolean | null; error?: string; demo?: boolean }
export type Severity = 'critical' | 'warning' | 'info';
export interface Finding { severity: Severity; kind: string; namespace: string; name: string; title: string; evidence: string[]; fix: string; action?: Action }
/** A change as data (crates/insight/src/action.rs); planned and applied by the app, never by the page. */
export type Action = { action: string; target: { kind: string; namespace: string; name: string } } & Record<string, unknown>;
export interface FieldChange { path: string; before: unknown; after: unknown }
export interface Permission { verb: string; resource: string; namespace: string; allowed: boolean }
export interface Plan { id: string; context: string; action: Action; summary: string; resource_version: string; diff: FieldChange[]; blast_radius: string[]; permissions: Permission[]; undo: Action | null }
export interface Applied { audit_id: number; plan_id: string; converged: boolean; result: string; undoable: boolean }
export interface AuditEntry { id: number; at: string; user: string; context: string; plan_id: string; step: string; action: Action; summary: string; undo: Action | null; undoes: number | null; outcome: string }
export interface NodeRow { name: string; status: string; roles: string; version: string; cpu: string; memory: string; age: string }
export interface PodRow { namespace: string; name: string; ready: string; status: string; restarts: number; node: string; age: string }
/** A posture check's finding (`kubeask diagnose --security --json` shape). */
export interface SecurityFinding {
  severity: Severity; object: { kind: string; namespace: string; name: string }; workload: { kind: string; namespace: string; name: string };
  title: string; evidence: string[]; likely_cause: string; suggested_fix: string; kubectl: string[]; check: string; control: string;
}
export interface SecurityView { context: string; findings: SecurityFinding[]; not_checked: string[] }
export interface Allocation { name: string; cpu_cores: number; memory_gib: number; gpus: number; storage_gib: number; cpu_cost: number; memory_cost: number; gpu_cost: number; storage_cost: number; total: number }
export interface Waste { kind: string; object: string; monthly: number; detail: string }
export interface CostView {
  context: string; your_prices: boolean; prices_file: string;
  report: { allocations: Allocation[]; idle: number; load_balancers: number; total: number; waste: Waste[]; basis: string };
}
export interface ClusterView { context: string; healthy: boolean; summary: string; findings: Finding[]; nodes: NodeRow[]; pods: PodRow[] }
export interface Device { name: string; description: string; backend: string; kind: string; memory_total: number; memory_free: number }
export interface Hardware { ram_total: number; ram_available: number; cores_physical: number; cores_logical: number; cpu: string; cpu_variant: string | null; cpu_variant_notes: string[]; backends: string[]; devices: Device[] }
export interface CatalogEntry { id: string; name: string; quant: string; size_bytes: number; ram_bytes: number; license: string; notes?: string; fits: boolean; installed: boolean; recommended?: boolean }
export interface LocalModel { file: string; path: string; size_bytes: number; architecture?: string; quantization?: string; origin: string; problem?: string }
export interface ModelStatus { loaded: null | { name: string; path: string; architecture: string; backend: string; device: string; cpu_variant: string | null; gpu_layers: number; n_ctx: number }; last_tps: number | null; busy: boolean; engine: string | null; remote: string | null }
export interface ConversationInfo { id: string; title: string; created: string; turns: number }
export interface EngineEntry { name: string; url: string; model: string | null; api_key: boolean }
export interface DownloadProgress { id: string; downloaded: number; total: number; bytes_per_sec: number; eta_secs: number | null; state: 'running' | 'verifying' | 'done' | 'cancelled' | 'error'; message?: string }
export interface Settings { theme: 'dark' | 'light' | 'system'; readOnly: boolean; shortcut: string; dataDir: string; logDir: string }
export interface CmdError { code: string; message: string }

export function asError(e: unknown): CmdError {
  if (e && typeof e === 'object' && 'message' in e) return { code: String((e as CmdError).code ?? 'ERROR'), message: String((e as CmdError).message) };
  return { code: 'ERROR', message: String(e) };
}

export async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw asError(e);
  }
}

/** History (crates/agent/src/charts.rs, insights.rs; kubeask forecast/rightsize/timeline --json shapes). */
export type Metric = 'cpu' | 'memory';
/** A container's sizing; `cpu`/`memory` as `kubeask rightsize` prints them. */
export interface Sizing { namespace: string; workload: string; container: string; pods: number; cpu: string | null; memory: string | null; verdict: 'under' | 'no_request' | 'over' | 'fits' }
export interface InsightsView { context: string; muted: boolean; source: string; forecasts: string[]; capacity: string[]; anomalies: string[]; sizing: Sizing[]; hpa: string[]; error?: string; code?: string }
export interface ChartLine { label: string; t: number[]; v: number[] }
export interface BandPoint { t: number; low: number; mid: number; high: number }
export interface Mark { t: number; v: number; label: string }
export interface Chart { metric: Metric; container: string; unit: 'cores' | 'bytes'; lines: ChartLine[]; request: number | null; limit: number | null; band: BandPoint[]; marks: Mark[] }
export interface WorkloadHistory { source: string; charts: Chart[] }
export interface TimelineEntry { time: string; change: string; namespace: string; object: string; evidence: string; until?: string | null; related: string[] }
export interface Incident { start: string; end: string; summary: string; entries: TimelineEntry[] }
export interface TimelineView { source: string; incidents: Incident[] }
