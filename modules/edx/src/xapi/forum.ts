/** Discussion forum events (event-routing-backends `forum_events.py`). */
import { ACTIVITY, EXT } from './constants.ts';
import type { VerbName } from './constants.ts';
import { activity, compact, languageMap } from './statement.ts';
import type { Run, Transformer } from './transformer.ts';
import { verb } from './transformer.ts';

function forum(verbName: VerbName, contextExtensions?: (r: Run) => Record<string, unknown>): Transformer {
  return {
    verb: () => verb(verbName),
    object(r) {
      const objectId = r.d.requiredString('data.id');
      // The thread's URL path without the id (Python `str.replace` removes every occurrence).
      const path = stripSlashes(stripSlashes(r.d.requiredString('context.path')).split(objectId).join(''));
      const title = r.d.get('data.title');
      return activity(
        `${r.root}${path}/${objectId}`,
        compact({ type: ACTIVITY.discussion, name: title === undefined ? undefined : languageMap('en', title) }),
      );
    },
    contextActivities(r) {
      const base = r.courseContextActivities();
      const discussion = r.d.get('data.discussion.id');
      if (discussion === undefined) return base;
      const grouping = [activity(`${r.root}/api/discussion/v1/threads/${String(discussion)}`, { type: ACTIVITY.discussion })];
      return { ...base, grouping };
    },
    ...(contextExtensions === undefined ? {} : { contextExtensions }),
  };
}

function stripSlashes(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0x2f) end--;
  return s.slice(0, end);
}

const posted = forum('posted');
const threadCreated = forum('posted', (r) => ({ [EXT.mode]: r.d.get('thread_type') }));
const edited = forum('edited');
const deleted = forum('deleted');
const voted = forum('voted', (r) => ({ [EXT.mode]: r.d.get('vote_value') }));
const reported = forum('reported');
const unreported = forum('unreported');

export const FORUM_TRANSFORMERS: Readonly<Record<string, Transformer>> = {
  'edx.forum.thread.created': threadCreated,
  'edx.forum.thread.edited': edited,
  'edx.forum.response.edited': edited,
  'edx.forum.comment.edited': edited,
  'edx.forum.thread.viewed': forum('viewed'),
  'edx.forum.thread.deleted': deleted,
  'edx.forum.response.deleted': deleted,
  'edx.forum.comment.deleted': deleted,
  'edx.forum.thread.voted': voted,
  'edx.forum.response.voted': voted,
  'edx.forum.response.created': posted,
  'edx.forum.comment.created': posted,
  'edx.forum.thread.reported': reported,
  'edx.forum.response.reported': reported,
  'edx.forum.comment.reported': reported,
  'edx.forum.thread.unreported': unreported,
  'edx.forum.response.unreported': unreported,
  'edx.forum.comment.unreported': unreported,
};
