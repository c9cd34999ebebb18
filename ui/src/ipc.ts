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
export type { FieldChange } from './bindings/FieldChange';
export type { Permission } from './bindings/Permission';
export type { Plan } from './bindings/Plan';
export type { Applied } from './bindings/Applied';
export type { AuditEntry } from './bindings/AuditEntry';
export type { SecurityFinding } from './bindings/SecurityFinding';
export type { SecurityView } from './bindings/SecurityView';
export type { Allocation } from './bindings/Allocation';
export type { Waste } from './bindings/Waste';
export type { CostReport } from './bindings/CostReport';
export type { CostView } from './bindings/CostView';
export type { CheckedObject } from './bindings/CheckedObject';
export type { DryRun } from './bindings/DryRun';
export type { CheckedDoc } from './bindings/CheckedDoc';
export type { ManifestCheck } from './bindings/ManifestCheck';
export type { WorkloadSpec } from './bindings/WorkloadSpec';
export type { HpaSpec } from './bindings/HpaSpec';
import type { AppError } from './bindings/AppError';
import type { ErrorCode } from './bindings/ErrorCode';

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

// History (crates/agent/src/charts.rs, views.rs; the kubeask forecast/rightsize/timeline --json shapes).
export type { Metric } from './bindings/Metric';
export type { Verdict } from './bindings/Verdict';
export type { Sizing } from './bindings/Sizing';
export type { InsightsView } from './bindings/InsightsView';
export type { ChartLine } from './bindings/ChartLine';
export type { BandPoint } from './bindings/BandPoint';
export type { Mark } from './bindings/Mark';
export type { Chart } from './bindings/Chart';
export type { WorkloadHistory } from './bindings/WorkloadHistory';
export type { Change } from './bindings/Change';
export type { TimelineEntry } from './bindings/TimelineEntry';
export type { Incident } from './bindings/Incident';
export type { TimelineView } from './bindings/TimelineView';
