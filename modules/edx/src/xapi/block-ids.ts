/**
 * Block usage keys built from a course key and a block id, as event-routing-backends does for
 * events that name a block only by its hex id (video `id`, browser problem_check bodies).
 */
import { EdxDataError } from '../errors.ts';

/** `block-v1` for `course-v1:...`, `ccx-block-v1` for `ccx-v1:...` (upstream `get_block_version`). */
export function blockVersion(courseId: string): string {
  const prefix = courseId.split(':')[0] ?? '';
  const version = `block-${prefix.split('-').at(-1) ?? ''}`;
  return prefix.includes('ccx') ? `ccx-${version}` : version;
}

/** `{block_version}:{course key body}+type@{type}+block@{id}`; needs an opaque (`...-v1:`) course key. */
export function makeBlockId(courseId: string, blockType: string, blockId: string): string {
  const body = courseId.split(':')[1];
  if (body === undefined) {
    throw new EdxDataError(
      'XAPI_MISSING_FIELD',
      `cannot build a ${blockType} block id: course id "${courseId}" is not an opaque key`,
      {
        field: 'context.course_id',
      },
    );
  }
  return `${blockVersion(courseId)}:${body}+type@${blockType}+block@${blockId}`;
}

/**
 * `get_problem_block_id`: the `activate_block_id` of the referrer's query string, else the hex id
 * in a browser problem_check body (`input_<hex>_2_1=choice_0`).
 */
export function problemBlockId(referrer: string | undefined, data: unknown, courseId: string | undefined): string | undefined {
  if (referrer !== undefined) {
    const fromReferrer = activateBlockId(referrer);
    if (fromReferrer !== undefined) return fromReferrer;
  }
  if (data === undefined || courseId === undefined) return undefined;
  const parts = String(data).split('_');
  if (parts.length > 1 && courseId.split(':').length > 1) return makeBlockId(courseId, 'problem', parts[1] ?? '');
  return undefined;
}

/** Python `parse_qs(urlparse(url).query)['activate_block_id'][0]` (blank values are dropped). */
function activateBlockId(url: string): string | undefined {
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  const hash = url.indexOf('#', q);
  const query = url.slice(q + 1, hash < 0 ? undefined : hash);
  for (const value of new URLSearchParams(query).getAll('activate_block_id')) if (value !== '') return value;
  return undefined;
}
