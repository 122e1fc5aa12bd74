/** Video events (event-routing-backends `video_events.py`): legacy names and `edx.video.*`. */
import { ACTIVITY, EXT } from './constants.ts';
import type { VerbName } from './constants.ts';
import { makeBlockId } from './block-ids.ts';
import { isoDuration, pyOr, secondsToFloat } from './python-compat.ts';
import { activity, extensions } from './statement.ts';
import type { XapiResult } from './statement.ts';
import type { Run, Transformer } from './transformer.ts';
import { verb } from './transformer.ts';

const VIDEO_VERBS: Readonly<Record<string, VerbName>> = {
  load_video: 'initialized',
  'edx.video.loaded': 'initialized',
  play_video: 'played',
  'edx.video.played': 'played',
  stop_video: 'terminated',
  'edx.video.stopped': 'terminated',
  complete_video: 'completed',
  'edx.video.completed': 'completed',
  pause_video: 'paused',
  'edx.video.paused': 'paused',
  seek_video: 'seeked',
  'edx.video.position.changed': 'seeked',
  hide_transcript: 'interacted',
  'edx.video.transcript.hidden': 'interacted',
  show_transcript: 'interacted',
  'edx.video.transcript.shown': 'interacted',
  speed_change_video: 'interacted',
  video_hide_cc_menu: 'interacted',
  video_show_cc_menu: 'interacted',
  'edx.video.closed_captions.hidden': 'interacted',
  'edx.video.closed_captions.shown': 'interacted',
};

const CC_SHOWN = new Set([
  'edx.video.closed_captions.shown',
  'edx.video.transcript.shown',
  'video_show_cc_menu',
  'show_transcript',
]);

/** `current_time` (new events) or `currentTime` (legacy browser events), Python-`or` style. */
const currentTime = (r: Run): number | undefined =>
  secondsToFloat(pyOr(r.d.get('data.current_time'), () => r.d.get('data.currentTime')));

function videoTransformer(result?: (r: Run) => XapiResult): Transformer {
  return {
    verb: (r) => verb(VIDEO_VERBS[r.d.name] ?? 'interacted'),
    object(r) {
      const courseId = r.d.requiredString('context.course_id');
      const videoId = r.d.requiredString('data.id');
      return activity(`${r.root}/xblock/${makeBlockId(courseId, 'video', videoId)}`, { type: ACTIVITY.video });
    },
    contextExtensions: (r) => ({ [EXT.videoLength]: secondsToFloat(r.d.get('data.duration')) }),
    ...(result === undefined ? {} : { result }),
  };
}

const loaded = videoTransformer();
const interaction = videoTransformer((r) => ({ extensions: extensions({ [EXT.videoTime]: currentTime(r) }) }));
const captions = videoTransformer((r) => ({
  extensions: extensions({ [EXT.videoTime]: currentTime(r), [EXT.ccEnabled]: CC_SHOWN.has(String(r.d.get('name'))) }),
}));
const completed = videoTransformer((r) => {
  const duration = secondsToFloat(r.d.get('data.duration'));
  return {
    extensions: extensions({ [EXT.videoTime]: duration }),
    completion: true,
    ...(duration === undefined ? {} : { duration: isoDuration(duration) }),
  };
});
const seeked = videoTransformer((r) => ({
  extensions: extensions({
    [EXT.videoTimeFrom]: secondsToFloat(r.d.get('data.old_time')),
    [EXT.videoTimeTo]: secondsToFloat(r.d.get('data.new_time')),
  }),
}));
const speed = videoTransformer((r) => ({
  extensions: extensions({
    [EXT.speedFrom]: `${String(r.d.required('data.old_speed'))}x`,
    [EXT.speedTo]: `${String(r.d.required('data.new_speed'))}x`,
  }),
}));

export const VIDEO_TRANSFORMERS: Readonly<Record<string, Transformer>> = {
  load_video: loaded,
  'edx.video.loaded': loaded,
  play_video: interaction,
  'edx.video.played': interaction,
  stop_video: interaction,
  'edx.video.stopped': interaction,
  pause_video: interaction,
  'edx.video.paused': interaction,
  hide_transcript: captions,
  video_hide_cc_menu: captions,
  'edx.video.transcript.hidden': captions,
  show_transcript: captions,
  'edx.video.transcript.shown': captions,
  'edx.video.closed_captions.hidden': captions,
  'edx.video.closed_captions.shown': captions,
  video_show_cc_menu: captions,
  complete_video: completed,
  'edx.video.completed': completed,
  seek_video: seeked,
  'edx.video.position.changed': seeked,
  speed_change_video: speed,
};
