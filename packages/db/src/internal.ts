/**
 * For sibling packages only (the sandbox's remote Db): the error type and the argument checks the
 * engines apply, so a remote Db refuses what a local one would. Nothing here loads an engine:
 * sandboxes bundle this, and must not pull in SQLite's native addon or the MongoDB driver.
 */
export { DbError, DB_ERROR_CODES } from './errors.ts';
export { checkCount } from './cursor-options.ts';
export { checkCollectionName } from './names.ts';
export { foreignCollections } from './embedded-aggregate.ts';
export { encodeValue, reviveValue } from './codec.ts';
export { AggregateOffload } from './aggregate-offload.ts';
export { turnsDuring } from './loop-turns.ts';
