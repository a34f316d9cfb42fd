export * from './api.js';
export * from './descriptor.js';
export { runActor, SUPERVISOR_PEER, SELF_PEER, type WorkerEnvContext } from './actor.js';
export { LocalKernel, KernelActor, KERNEL_SUP, KERNEL_SELF, EVENTS_PENDING_MAX, type KernelHooks, type KernelOptions, type KernelActorOptions } from './kernel.js';
export { InputRecorder, parseRecording, encodeBodyB64, type RecordedInput, type RecordedOutput, type RecordedLine, type RecordedStart, type RecordedDrainEnd, type RecordedStop } from './recorder.js';
export * from './supervisor.js';
export type * from './protocol.js';
export { chainActorScript } from './testing/index.js';
