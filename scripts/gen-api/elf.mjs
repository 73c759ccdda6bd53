/**
 * Just enough ELF64 to read a Go binary's data: the section table and the
 * mapping between virtual addresses (what pointers inside the binary hold)
 * and file offsets (where the bytes are in the file we read).
 */
import fs from 'node:fs';
import crypto from 'node:crypto';

export class ElfFile {
  /** @param {string} path */
  constructor(path) {
    this.path = path;
    /** @type {Buffer} */
    this.buf = fs.readFileSync(path);
    const b = this.buf;
    if (b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) {
      throw new Error(`${path}: not a little-endian ELF64 file`);
    }
    const shoff = Number(b.readBigUInt64LE(0x28));
    const shentsize = b.readUInt16LE(0x3a);
    const shnum = b.readUInt16LE(0x3c);
    const shstrndx = b.readUInt16LE(0x3e);
    /** @type {{name: string, type: number, addr: number, offset: number, size: number}[]} */
    this.sections = [];
    for (let i = 0; i < shnum; i++) {
      const o = shoff + i * shentsize;
      this.sections.push({
        nameOffset: b.readUInt32LE(o),
        type: b.readUInt32LE(o + 4),
        addr: Number(b.readBigUInt64LE(o + 16)),
        offset: Number(b.readBigUInt64LE(o + 24)),
        size: Number(b.readBigUInt64LE(o + 32)),
      });
    }
    const strtab = this.sections[shstrndx];
    for (const s of this.sections) {
      const start = strtab.offset + s.nameOffset;
      s.name = b.subarray(start, b.indexOf(0, start)).toString('latin1');
    }
  }

  /** sha256 of the file, so generated data can say exactly which binary it came from. */
  sha256() {
    return crypto.createHash('sha256').update(this.buf).digest('hex');
  }

  section(name) {
    const s = this.sections.find((x) => x.name === name);
    if (!s) throw new Error(`${this.path}: no ${name} section (not a Go binary?)`);
    return s;
  }

  /** The file offset of a virtual address, or -1 when no section with file bytes holds it. */
  offsetOf(va) {
    for (const s of this.sections) {
      // SHT_NOBITS (8) sections (.bss) have no bytes in the file.
      if (s.type !== 8 && s.addr !== 0 && va >= s.addr && va < s.addr + s.size) return va - s.addr + s.offset;
    }
    return -1;
  }

  /** The virtual address of a file offset inside an allocated section, or -1. */
  addressOf(offset) {
    for (const s of this.sections) {
      if (s.type !== 8 && s.addr !== 0 && offset >= s.offset && offset < s.offset + s.size) return offset - s.offset + s.addr;
    }
    return -1;
  }
}
