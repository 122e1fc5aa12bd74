import { IRT_ERROR_CODES, IrtFitError } from './errors.ts';
import type { IrtFitOptions, IrtModel } from './types.ts';

/** ltm's default; 21 points integrate the LSAT likelihoods to well under 0.001. */
export const DEFAULT_QUADRATURE_POINTS = 21;
export const DEFAULT_MAX_EM_ITERATIONS = 500;
export const DEFAULT_MAX_NEWTON_ITERATIONS = 100;
/** On max |gradient| / learners: parameter error is then ~1e-7, far below any reported digit. */
export const DEFAULT_TOLERANCE = 1e-8;
export const MAX_QUADRATURE_POINTS = 200;

export const IRT_MODELS: readonly IrtModel[] = ['rasch', '1pl', '2pl'];

export type ResolvedOptions = Readonly<Required<IrtFitOptions>>;

function integerIn(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new IrtFitError(IRT_ERROR_CODES.INVALID_OPTIONS, `${name} must be an integer in [${min}, ${max}], got ${value}`, {
      option: name,
    });
  }
  return value;
}

/** Copy, merge defaults, validate, freeze. */
export function resolveOptions(options: IrtFitOptions): ResolvedOptions {
  const model = options.model;
  if (!IRT_MODELS.includes(model)) {
    throw new IrtFitError(
      IRT_ERROR_CODES.INVALID_OPTIONS,
      `model must be one of ${IRT_MODELS.join(', ')}, got ${String(model)}`,
      {
        option: 'model',
      },
    );
  }
  const quadraturePoints = integerIn(
    'quadraturePoints',
    options.quadraturePoints ?? DEFAULT_QUADRATURE_POINTS,
    2,
    MAX_QUADRATURE_POINTS,
  );
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  if (!(tolerance > 0) || !Number.isFinite(tolerance)) {
    throw new IrtFitError(IRT_ERROR_CODES.INVALID_OPTIONS, `tolerance must be a positive number, got ${tolerance}`, {
      option: 'tolerance',
    });
  }
  return Object.freeze({
    model,
    quadraturePoints,
    maxEmIterations: integerIn('maxEmIterations', options.maxEmIterations ?? DEFAULT_MAX_EM_ITERATIONS, 0, 1e6),
    // 0 gives pure EM (slow, linear convergence); the Newton phase is what makes the fit exact.
    maxNewtonIterations: integerIn('maxNewtonIterations', options.maxNewtonIterations ?? DEFAULT_MAX_NEWTON_ITERATIONS, 0, 1e4),
    tolerance,
    standardErrors: options.standardErrors ?? true,
  });
}
