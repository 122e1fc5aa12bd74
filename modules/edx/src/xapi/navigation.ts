/** Navigation events (event-routing-backends `navigation_events.py`): all `navigated`. */
import { ACTIVITY, EXT, objectIri } from './constants.ts';
import { activity, extensions, languageMap } from './statement.ts';
import type { Transformer } from './transformer.ts';
import { verb } from './transformer.ts';

const linkClicked: Transformer = {
  verb: () => verb('navigated'),
  object: (r) => activity(r.d.requiredString('data.target_url'), { type: ACTIVITY.link }),
};

const outlineSelected: Transformer = {
  verb: () => verb('navigated'),
  object: (r) =>
    activity(r.d.string('data.target_url'), { type: ACTIVITY.module, name: languageMap('en', r.d.get('data.target_name')) }),
};

const ENDING_POSITION: Readonly<Record<string, string>> = {
  'edx.ui.lms.sequence.next_selected': 'next unit',
  'edx.ui.lms.sequence.previous_selected': 'previous unit',
};

const tabNavigation: Transformer = {
  verb: () => verb('navigated'),
  object: (r) =>
    activity(objectIri(r.root, 'xblock', r.d.string('data.id')), {
      type: ACTIVITY.resource,
      extensions: extensions({ [EXT.totalItems]: r.d.get('data.tab_count') }),
    }),
  contextExtensions(r) {
    const name = r.d.name;
    return {
      [EXT.startingPosition]: r.d.get('data.current_tab'),
      [EXT.endingPosition]:
        name === 'edx.ui.lms.sequence.tab_selected' ? r.d.get('data.target_tab') : (ENDING_POSITION[name] ?? 'previous unit'),
    };
  },
};

export const NAVIGATION_TRANSFORMERS: Readonly<Record<string, Transformer>> = {
  'edx.ui.lms.link_clicked': linkClicked,
  'edx.ui.lms.sequence.outline.selected': outlineSelected,
  'edx.ui.lms.outline.selected': outlineSelected,
  'edx.ui.lms.sequence.next_selected': tabNavigation,
  'edx.ui.lms.sequence.previous_selected': tabNavigation,
  'edx.ui.lms.sequence.tab_selected': tabNavigation,
};
