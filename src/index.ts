/**
 * @fileoverview crinit's library API. `compile` does no I/O.
 */
export { compile, type CompileOptions, type CompileResult, type Backend } from './compile.js';
export { formatDiagnostic, hasErrors, CODES, type Diagnostic, type Position, type Origin } from './diagnostics.js';
export { listMatrix, PROVEN_BY_BOOT, PROVEN_BY_STAND_IN, type MatrixRow, type SourceRow } from './list.js';
export { runtimeClasses, type RuntimeClass } from './runtimeclasses.js';
export type { NodePlan, RenderedPlan, PlanStep, PlanFile, RenderedFile } from './plan/types.js';
export type { Profile, RuntimeHandler, HandlerKind } from './profile/types.js';
export { CRINIT_VERSION } from './assets.generated.js';
export { deliver, gzip, mimeMultipart, PLATFORM_LIMITS, type Contributor, type Delivered, type DeliveryOptions, type MimePart, type Platform } from './delivery.js';
export { SPEC_VERSIONS, DEFAULT_SPEC, checkSpec, type IgnConfig, type SpecVersion } from './backends/ignition/model.js';
export { FIELD_SINCE } from './backends/ignition/fields.js';
export { CAPABILITIES, type Capability } from './rules/capabilities.js';
