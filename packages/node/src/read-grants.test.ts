import { describe, expect, it } from 'vitest';
import { ReadGrants } from './read-grants.ts';

describe('read grants - what a module declares and its operator allows, both', () => {
  const grants = new ReadGrants();
  grants.allow('dash', ['video', { module: 'grades', collections: ['scores'] }]);

  it('grants the declared collections the config allows', () => {
    expect([...grants.collections('dash', 'video', { video: ['segments', 'views'] })]).toEqual(['segments', 'views']);
    expect([...grants.collections('dash', 'grades', { grades: ['scores', 'learners'] })]).toEqual(['scores']);
  });

  it('refuses, saying what is missing: the operator allows nothing, or the module declares nothing', () => {
    expect(() => grants.collections('dash', 'forum', { forum: ['posts'] })).toThrow(
      /config must allow it \(modules\[\]\.reads\)/,
    );
    expect(() => grants.collections('other', 'video', { video: ['segments'] })).toThrow(/modules\[\]\.reads/);
    expect(() => grants.collections('dash', 'video', {})).toThrow(
      /does not declare that it reads module "video".*reads: \{ 'video'/,
    );
  });
});
