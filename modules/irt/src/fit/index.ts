export { fitIrt } from './fit.ts';
export { firstAttemptMatrix } from './first-attempts.ts';
export type { AttemptRecord, FirstAttemptMatrix } from './first-attempts.ts';
export { gaussHermiteNormal } from './gauss-hermite.ts';
export type { NormalQuadrature } from './gauss-hermite.ts';
export { IRT_ERROR_CODES, IrtFitError, isIrtFitError } from './errors.ts';
export type { DegenerateItem, DegenerateReason, IrtErrorCode, IrtFitErrorDetails } from './errors.ts';
export { MIN_ITEMS } from './identifiability.ts';
export {
  DEFAULT_MAX_EM_ITERATIONS,
  DEFAULT_MAX_NEWTON_ITERATIONS,
  DEFAULT_QUADRATURE_POINTS,
  DEFAULT_TOLERANCE,
  IRT_MODELS,
  MAX_QUADRATURE_POINTS,
} from './options.ts';
export type {
  Estimate,
  IrtFitOptions,
  IrtFitResult,
  IrtInput,
  IrtModel,
  ItemEstimate,
  ItemResponse,
  ResponseMatrixInput,
  ResponsePatternsInput,
} from './types.ts';
