/**
 * Course ids found in LMS/Studio URLs and URL-path event types, for events whose
 * `context.course_id` is absent or empty (old logs, server middleware events).
 *
 * Recognised, first match wins, in this order:
 *  1. `course-v1:org+course+run` / `ccx-v1:org+course+run+ccx@N` anywhere in the path
 *     (`/courses/course-v1:edX+DemoX+Demo/...`, Studio's `/course/course-v1:...`);
 *  2. `block-v1:org+course+run+type@...` (a usage key names its course): `course-v1:org+course+run`;
 *  3. the old slash form after `/courses/`: `/courses/org/course/run/...` -> `org/course/run`.
 * Studio's 2014 locators (`/course/edX.E929.2014_T2/branch/...`) and `i4x://` ids (no run) are
 * not recognised. Only the path is read; query strings and fragments are ignored.
 */

const PART = '[^/+?#\\s]+';
const OPAQUE_RE = new RegExp(`(course|ccx)-v1:(${PART})\\+(${PART})\\+(${PART})(\\+ccx@\\d+)?`);
const BLOCK_RE = new RegExp(`(?:block|ccx-block)-v1:(${PART})\\+(${PART})\\+(${PART})\\+type@`);
const SLASH_RE = /\/courses\/([^/?#\s:]+)\/([^/?#\s]+)\/([^/?#\s]+)/;

/** The path of a URL (`http://host/a/b?q` -> `/a/b`) or of a bare path. */
function pathOf(urlOrPath: string): string {
  let start = 0;
  const scheme = urlOrPath.indexOf('://');
  if (scheme >= 0) {
    start = urlOrPath.indexOf('/', scheme + 3);
    if (start < 0) return '/';
  }
  let end = urlOrPath.length;
  const q = urlOrPath.indexOf('?', start);
  if (q >= 0) end = q;
  const h = urlOrPath.indexOf('#', start);
  if (h >= 0 && h < end) end = h;
  return start === 0 && end === urlOrPath.length ? urlOrPath : urlOrPath.slice(start, end);
}

export function courseIdFromUrl(urlOrPath: string): string | undefined {
  const path = pathOf(urlOrPath);
  if (!path.includes('course') && !path.includes('-v1:')) return undefined;
  const opaque = OPAQUE_RE.exec(path);
  if (opaque !== null) return opaque[0];
  const block = BLOCK_RE.exec(path);
  if (block !== null) return `course-v1:${block[1]}+${block[2]}+${block[3]}`;
  const slash = SLASH_RE.exec(path);
  if (slash !== null) return `${slash[1]}/${slash[2]}/${slash[3]}`;
  return undefined;
}
