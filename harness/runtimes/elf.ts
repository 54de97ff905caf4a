/**
 * Whether a binary needs a dynamic loader (an ELF PT_INTERP program header): such a binary cannot run in
 * a FROM scratch image, which has no libc and no loader. Go builds are static with CGO_ENABLED=0.
 */
import { open } from 'node:fs/promises';

const PT_INTERP = 3;

/** 'static', 'dynamic', or 'not-elf' (a script, a Mach-O binary...). */
export async function linkage(file: string): Promise<'static' | 'dynamic' | 'not-elf'> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(64);
    await handle.read(head, 0, 64, 0);
    if (head.readUInt32BE(0) !== 0x7f454c46) return 'not-elf';
    const is64 = head[4] === 2;
    const le = head[5] === 1;
    const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const phoff = is64 ? Number(le ? head.readBigUInt64LE(32) : head.readBigUInt64BE(32)) : u32(head, 28);
    const phentsize = u16(head, is64 ? 54 : 42);
    const phnum = u16(head, is64 ? 56 : 44);
    const table = Buffer.alloc(phentsize * phnum);
    await handle.read(table, 0, table.length, phoff);
    for (let i = 0; i < phnum; i++) if (u32(table, i * phentsize) === PT_INTERP) return 'dynamic';
    return 'static';
  } finally {
    await handle.close();
  }
}
