import { describe, expect, it } from 'vitest';
import { parseLdd } from './node-files.ts';

describe('sandbox - node runtime files', () => {
  it('ldd - library paths and the loader, not the vdso', () => {
    const text = [
      '\tlinux-vdso.so.1 (0x00007ffd)',
      '\tlibdl.so.2 => /lib/x86_64-linux-gnu/libdl.so.2 (0x00007f3c)',
      '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f3c)',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007f3c)',
    ].join('\n');
    expect(parseLdd(text)).toEqual([
      '/lib/x86_64-linux-gnu/libdl.so.2',
      '/lib/x86_64-linux-gnu/libc.so.6',
      '/lib64/ld-linux-x86-64.so.2',
    ]);
  });
});
