/** Validation of module and collection names, and their safe on-disk form. */
import { DbError } from './errors.ts';

const MODULE_NAME = /^[a-z0-9_-]{1,64}$/;
const MAX_COLLECTION_NAME = 120;

/** Module names become directory and database names: lowercase letters, digits, `_` and `-`. */
export function checkModuleName(name: string): string {
  if (typeof name !== 'string' || !MODULE_NAME.test(name)) {
    throw new DbError(
      'DB_INVALID_NAME',
      `Invalid module name ${JSON.stringify(name)}: use 1-64 characters from a-z, 0-9, "_" and "-".`,
    );
  }
  return name;
}

/** MongoDB's own rules: non-empty, no `$` or NUL, not `system.*`; we also cap the length. */
export function checkCollectionName(name: string): string {
  const bad =
    typeof name !== 'string' ||
    name.length === 0 ||
    name.length > MAX_COLLECTION_NAME ||
    name.includes('$') ||
    name.includes('\0') ||
    name.startsWith('system.') ||
    name.startsWith('.') ||
    name.endsWith('.');
  if (bad) {
    throw new DbError(
      'DB_INVALID_NAME',
      `Invalid collection name ${JSON.stringify(name)}: use 1-${MAX_COLLECTION_NAME} characters, ` +
        'no "$" or NUL, not starting with "system." and not starting or ending with ".".',
    );
  }
  return name;
}

/**
 * A reversible file name for a collection: `[A-Za-z0-9_-]` kept, every other UTF-8 byte as
 * `%XX`, so `.`, `/` and `..` can never escape the database directory.
 */
export function collectionDirName(name: string): string {
  let out = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Inverse of `collectionDirName`; undefined for names this engine did not write. */
export function collectionFromDirName(dirName: string): string | undefined {
  if (!/^(?:[A-Za-z0-9_-]|%[0-9A-F]{2})+$/.test(dirName)) return undefined;
  try {
    return decodeURIComponent(dirName);
  } catch {
    return undefined;
  }
}
