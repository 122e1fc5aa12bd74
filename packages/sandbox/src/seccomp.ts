/**
 * A seccomp filter that refuses new processes and lets threads through: the fork-bomb guard that
 * holds where no pids cgroup can be made. RLIMIT_NPROC does not: it counts processes per real
 * uid, and in the sandbox's user namespace that is the node's own (measured here: 50 of 50
 * spawns succeeded under `prlimit --nproc=20`). Node never starts processes in a sandbox (the
 * permission model refuses child_process too), so nothing legitimate is lost.
 *
 * fork and vfork fail with EAGAIN, like a process limit; clone fails with EAGAIN unless its
 * flags hold CLONE_THREAD; clone3 answers ENOSYS (its flags are in memory, out of a filter's
 * reach), so the C library falls back to clone (what container runtimes do). Syscalls of
 * another ABI (x32, 32-bit entry points) answer ENOSYS.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The filter's file descriptor in bwrap (`--seccomp FD`): opened by whoever starts bwrap, read by bwrap. */
export const SECCOMP_FD = 4;
const CLONE_THREAD = 0x0001_0000;
const EAGAIN = 11;
const ENOSYS = 38;
const RET_ALLOW = 0x7fff_0000;
const RET_ERRNO = 0x0005_0000;
const X32_SYSCALL_BIT = 0x4000_0000;
/** BPF opcodes: load word at absolute offset, jumps on equal / greater-or-equal / bits set, return. */
const LD_ABS = 0x20;
const JEQ = 0x15;
const JGE = 0x35;
const JSET = 0x45;
const RET = 0x06;
/** Offsets in struct seccomp_data: syscall number, audit arch, low word of the first argument (little-endian). */
const NR = 0;
const ARCH = 4;
const ARG0_LOW = 16;

interface Abi {
  readonly audit: number;
  readonly clone: number;
  readonly clone3: number;
  /** Absent on arm64 (libc forks with clone there). */
  readonly fork?: number;
  readonly vfork?: number;
  readonly x32: boolean;
}

const ABIS: Readonly<Record<string, Abi>> = {
  x64: { audit: 0xc000_003e, clone: 56, fork: 57, vfork: 58, clone3: 435, x32: true },
  arm64: { audit: 0xc000_00b7, clone: 220, clone3: 435, x32: false },
};

type Op = { code: number; k: number; jt?: string; jf?: string } | { label: string };

/** The filter for `arch` as bytes of struct sock_filter[], or undefined on an architecture it does not know. */
export function noForkFilter(arch: string = process.arch): Buffer | undefined {
  const abi = ABIS[arch];
  if (abi === undefined) return undefined;
  const ops: Op[] = [
    { code: LD_ABS, k: ARCH },
    { code: JEQ, k: abi.audit, jf: 'other-abi' },
    { code: LD_ABS, k: NR },
    ...(abi.x32 ? [{ code: JGE, k: X32_SYSCALL_BIT, jt: 'other-abi' }] : []),
    { code: JEQ, k: abi.clone3, jt: 'enosys' },
    ...(abi.fork === undefined ? [] : [{ code: JEQ, k: abi.fork, jt: 'eagain' }]),
    ...(abi.vfork === undefined ? [] : [{ code: JEQ, k: abi.vfork, jt: 'eagain' }]),
    { code: JEQ, k: abi.clone, jt: 'clone' },
    { code: RET, k: RET_ALLOW },
    { label: 'clone' },
    { code: LD_ABS, k: ARG0_LOW },
    { code: JSET, k: CLONE_THREAD, jf: 'eagain' },
    { code: RET, k: RET_ALLOW },
    { label: 'eagain' },
    { code: RET, k: RET_ERRNO | EAGAIN },
    { label: 'enosys' },
    { label: 'other-abi' },
    { code: RET, k: RET_ERRNO | ENOSYS },
  ];
  return assemble(ops);
}

/** Lays out the instructions, turning label names into the forward jump offsets BPF takes. */
function assemble(ops: readonly Op[]): Buffer {
  const at = new Map<string, number>();
  let pc = 0;
  for (const op of ops) {
    if ('label' in op) at.set(op.label, pc);
    else pc++;
  }
  const out = Buffer.alloc(pc * 8);
  pc = 0;
  for (const op of ops) {
    if ('label' in op) continue;
    const jump = (label: string | undefined) => (label === undefined ? 0 : at.get(label)! - pc - 1);
    out.writeUInt16LE(op.code, pc * 8);
    out.writeUInt8(jump(op.jt), pc * 8 + 2);
    out.writeUInt8(jump(op.jf), pc * 8 + 3);
    out.writeUInt32LE(op.k >>> 0, pc * 8 + 4);
    pc++;
  }
  return out;
}

let file: string | undefined | null = null;

/**
 * The filter in a file bubblewrap reads (`--seccomp FD`), written once per node process in a
 * private temporary folder and removed at exit; undefined on an unknown architecture.
 */
export function noForkFilterFile(): string | undefined {
  if (file !== null) return file;
  const filter = noForkFilter();
  if (filter === undefined) return (file = undefined);
  const dir = mkdtempSync(path.join(tmpdir(), 'insights-seccomp-'));
  file = path.join(dir, 'no-fork.bpf');
  writeFileSync(file, filter, { mode: 0o400 });
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return file;
}
