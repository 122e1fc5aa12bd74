import { describe, expect, it } from 'vitest';
import { EventsPerMessage } from './events-per-message.ts';

describe('events - pulls sized in messages from the events they bring', () => {
  it('starts at a full page, so a first pull never takes more than its room in pages', () => {
    expect(new EventsPerMessage().messagesFor(1000)).toBe(2);
    expect(new EventsPerMessage().messagesFor(0)).toBe(0);
  });

  it('comes down to single events within a few dozen messages, and back up with pages', () => {
    const e = new EventsPerMessage();
    for (let i = 0; i < 40; i++) e.saw(1);
    expect(e.messagesFor(1000)).toBeGreaterThan(900);
    for (let i = 0; i < 40; i++) e.saw(500);
    expect(e.messagesFor(1000)).toBe(2);
  });
});
