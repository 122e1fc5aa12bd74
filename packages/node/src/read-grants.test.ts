import { describe, expect, it } from 'vitest';
import { ReadGrants, RemoteReadGrants } from './read-grants.ts';

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

describe('remote read grants - what the owner node lets leave it', () => {
  const grants = new RemoteReadGrants();
  grants.allow('video', ['dash', { module: 'report', collections: ['segments'], nodes: ['n1'] }]);

  it('grants what the reader asks for, narrowed to what modules[].readBy allows', () => {
    expect([...grants.collections('n9', 'dash', 'video', ['segments', 'views'])]).toEqual(['segments', 'views']);
    expect([...grants.collections('n1', 'report', 'video', ['segments', 'views'])]).toEqual(['segments']);
  });

  it('refuses an unlisted reader, an unlisted owner and a node the entry does not name', () => {
    expect(() => grants.collections('n1', 'other', 'video', ['segments'])).toThrow(
      /module "other" \(node "n1"\) may not read module "video"'s data through the mesh.*modules\[\]\.readBy of "video"/,
    );
    expect(() => grants.collections('n1', 'dash', 'grades', ['scores'])).toThrow(/modules\[\]\.readBy of "grades"/);
    expect(() => grants.collections('n2', 'report', 'video', ['segments'])).toThrow(/only from node "n1", not from "n2"/);
  });
});
