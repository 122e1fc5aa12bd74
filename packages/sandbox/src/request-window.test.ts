import { describe, expect, it } from 'vitest';
import { RequestWindow } from './request-window.ts';

describe('request window', () => {
  it('lets requests in up to its count and its bytes; who found no room hears once one leaves', () => {
    let rooms = 0;
    const w = new RequestWindow(3, 100, () => rooms++);
    expect(w.hasRoom(60)).toBe(true);
    w.take(60);
    expect(w.hasRoom(50)).toBe(false);
    expect(w.fits(40)).toBe(true);
    w.take(40);
    w.release(60);
    expect(rooms).toBe(1);
    w.take(10);
    w.take(10);
    // Three in flight: no room, however small.
    expect(w.hasRoom(0)).toBe(false);
    w.release(10);
    expect(rooms).toBe(2);
    // Released without anyone waiting: nobody is told.
    w.release(10);
    expect(rooms).toBe(2);
  });

  it('lets one request larger than its bytes in when none is in flight, and nothing beside it', () => {
    const w = new RequestWindow(3, 100, () => undefined);
    expect(w.hasRoom(1000)).toBe(true);
    w.take(1000);
    expect(w.fits(1)).toBe(false);
    w.release(1000);
    expect(w.fits(100)).toBe(true);
  });
});
