/**
 * Drift monitoring: compare live inputs and predictions with a bundle's reference statistics.
 * Node-only (reads files); the fastify plugin is a separate module (src/drift/fastify-plugin.ts) so this
 * entry does not pull in fastify or prom-client.
 */
export { type AnalyzeOptions, analyzeFile, coerceRecord, type FileDriftReport } from "./analyze.js";
export { type Binning, type CompiledReference, compileReference, NoReferenceError } from "./bins.js";
export { type HtmlOptions, renderHtml } from "./html.js";
export { type JoinOptions, type JoinResult, joinLabels } from "./join.js";
export { DriftMonitor, type DriftMonitorOptions, DriftRegistry } from "./monitor.js";
export {
  DEFAULT_THRESHOLDS,
  type DriftReport,
  type Flag,
  PSI_EPSILON,
  psi,
  type QuantityReport,
  type Thresholds,
} from "./report.js";
export { expandLogPaths, type LiveRow, readLive } from "./source.js";
