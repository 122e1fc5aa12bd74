/** One first-attempt response: 1 correct, 0 incorrect, null not attempted (left out of the likelihood). */
export type ItemResponse = 0 | 1 | null;

/**
 * - `rasch`: discrimination fixed at 1, ability N(0, 1) (ltm `rasch(data, constraint = cbind(p + 1, 1))`).
 * - `1pl`: one common discrimination estimated, ability N(0, 1) (ltm `rasch(data)`).
 * - `2pl`: one discrimination per item (ltm `ltm(data ~ z1)`).
 */
export type IrtModel = 'rasch' | '1pl' | '2pl';

/** Learners x items; every row has one entry per item. */
export interface ResponseMatrixInput {
  readonly type: 'matrix';
  readonly responses: readonly (readonly ItemResponse[])[];
  /** Item names used in results and errors; default `item-1`, `item-2`, ... */
  readonly itemIds?: readonly string[];
}

/** Distinct response patterns with how many learners gave each (e.g. the LSAT tables). */
export interface ResponsePatternsInput {
  readonly type: 'patterns';
  readonly patterns: readonly (readonly ItemResponse[])[];
  /** Non-negative learner counts, one per pattern. */
  readonly frequencies: readonly number[];
  readonly itemIds?: readonly string[];
}

export type IrtInput = ResponseMatrixInput | ResponsePatternsInput;

export interface IrtFitOptions {
  readonly model: IrtModel;
  /** Gauss-Hermite points; default 21 (as ltm). */
  readonly quadraturePoints?: number;
  /** Bock-Aitkin EM cycles before switching to Newton-Raphson; default 500. */
  readonly maxEmIterations?: number;
  /** Newton-Raphson iterations on the marginal log-likelihood; default 100. */
  readonly maxNewtonIterations?: number;
  /** Converged when max |gradient of the log-likelihood| / learners is below this; default 1e-8. */
  readonly tolerance?: number;
  /** Compute the observed information and standard errors; default true. */
  readonly standardErrors?: boolean;
}

/** A reported parameter; `se` is null when fixed by the model or when the information is singular. */
export interface Estimate {
  readonly value: number;
  readonly se: number | null;
}

export interface ItemEstimate {
  readonly id: string;
  /** b in P(x = 1 | z) = 1 / (1 + exp(-a (z - b))), z ~ N(0, 1) (ltm "Dffclt"). */
  readonly difficulty: Estimate;
  /** a in the same formula (ltm "Dscrmn"); the common value for `1pl`, 1 for `rasch`. */
  readonly discrimination: Estimate;
  /** c in the slope/intercept form logit P = a z + c, c = -a b (mirt "d"). */
  readonly intercept: Estimate;
  /** Learners (weighted) who answered the item, and the share of them who got it right. */
  readonly responses: number;
  readonly proportionCorrect: number;
}

export interface IrtFitResult {
  readonly model: IrtModel;
  readonly items: readonly ItemEstimate[];
  /** Marginal log-likelihood at the optimum (no multinomial constant, as ltm and mirt report). */
  readonly logLikelihood: number;
  readonly parameterCount: number;
  /** -2 logL + 2 k, and -2 logL + k ln(n) with n the learners (ltm's definitions). */
  readonly aic: number;
  readonly bic: number;
  /** Learners with at least one response (sum of frequencies), distinct patterns among them. */
  readonly learners: number;
  readonly distinctPatterns: number;
  /** Learners dropped because they answered nothing. */
  readonly learnersWithoutResponses: number;
  readonly converged: boolean;
  readonly iterations: { readonly em: number; readonly newton: number };
  /** max |d logL / d theta| at the returned estimates, over the free slope/intercept parameters. */
  readonly maxAbsGradient: number;
  readonly quadraturePoints: number;
  /**
   * Free parameters in slope/intercept form (`c:<item>`, `a:<item>` or `a` for 1pl) and the inverse
   * observed information; null when not requested or singular.
   */
  readonly parameters: {
    readonly names: readonly string[];
    readonly values: readonly number[];
    readonly covariance: readonly (readonly number[])[] | null;
  };
}
