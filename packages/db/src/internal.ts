/**
 * For sibling packages only (the sandbox's remote Db and its tests): the same argument checks the
 * engines apply, so a remote Db refuses what a local one would, and the conformance suite.
 */
export { checkCount } from './cursor-options.ts';
export { checkCollectionName } from './names.ts';
export { describeDbConformance } from './conformance.ts';
