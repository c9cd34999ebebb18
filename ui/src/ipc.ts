// The IPC contract (docs/desktop-api.md): typed wrappers so a failed command
// always rejects with {code, message} the UI can show.
import { invoke } from '@tauri-apps/api/core';

// Generated from the Rust types (src-tauri/src/bindings.rs, ts-rs): the
// commands and the page cannot disagree on these.
export type { Mode } from './bindings/Mode';
export type { Evidence } from './bindings/Evidence';
export type { Answer } from './bindings/Answer';
export type { AnswerEvent } from './bindings/AnswerEvent';
export type { ErrorCode } from './bindings/ErrorCode';
export type { AppError } from './bindings/AppError';
export type { Action } from './bindings/Action';
export type { Target } from './bindings/Target';
export type { ContextInfo } from './bindings/ContextInfo';
export type { Device } from './bindings/Device';
export type { Hardware } from './bindings/Hardware';
export type { CatalogEntry } from './bindings/CatalogEntry';
export type { LocalModel } from './bindings/LocalModel';
export type { ModelInfo } from './bindings/ModelInfo';
export type { ModelStatus } from './bindings/ModelStatus';
export type { ConversationInfo } from './bindings/ConversationInfo';
export type { EngineEntry } from './bindings/EngineEntry';
export type { Settings } from './bindings/Settings';
export type { Severity } from './bindings/Severity';
export type { Finding } from './bindings/Finding';
export type { NodeRow } from './bindings/NodeRow';
export type { PodRow } from './bindings/PodRow';
export type { ClusterView } from './bindings/ClusterView';
export type { DownloadProgress } from './bindings/DownloadProgress';
import type { Action } from './bindings/Action';
import type { AppError } from './bindings/AppError';
import type { ErrorCode } from './bindings/ErrorCode';
import type { Severity } from './bindings/Severity';


export interface FieldChange { path: string; before: unknown; after: unknown }
export interface Permission { verb: string; resource: string; namespace: string; allowed: boolean }
export interface Plan { id: string; context: string; action: Action; summary: string; resource_version: string; diff: FieldChange[]; blast_radius: string[]; permissions: Permission[]; undo: Action | null }
export interface Applied { audit_id: number; plan_id: string; converged: boolean; result: string; undoable: boolean }
export interface AuditEntry { id: number; at: string; user: string; context: string; plan_id: string; step: string; action: Action; summary: string; undo: Action | null; undoes: number | null; outcome: string }
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


/** A failed command, as every face carries it (`{code, message, details?}`). */
export type CmdError = AppError;

export function asError(e: unknown): CmdError {
  if (e && typeof e === 'object' && 'message' in e) {
    const err = e as Partial<AppError>;
    return { code: (err.code ?? 'ERROR') as ErrorCode, message: String(err.message) };
  }
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
