/** Test support for the standard analytics modules (a subpath: modules never import it). */
export { moduleHarness } from './harness.ts';
export type { DeliverOptions, ModuleHarness } from './harness.ts';
export {
  EDX_TRACKING_LOGS,
  envelopes,
  HAS_REAL_DATA,
  NO_REAL_DATA_MESSAGE,
  readLogEnvelopes,
  readLogRaw,
  REAL_DATA,
  seededRandom,
  shuffled,
  withRedeliveries,
} from './data.ts';
export { edxEvent } from './edx-events.ts';
export type { EdxEventSpec } from './edx-events.ts';
export { DELIVERY_SCENARIOS, underEveryScenario } from './scenarios.ts';
export type { DeliveryScenario } from './scenarios.ts';
