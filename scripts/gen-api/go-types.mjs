/**
 * Go's runtime type information (internal/abi) as the Go linker lays it out in
 * `.rodata`: every named struct type with its fields, their Go types and struct
 * tags. This is what lets the generator say which Go struct a struct tag
 * belongs to: struct tag strings are shared between structs with identical
 * fields, so the strings alone are ambiguous; the type descriptors are not.
 *
 * Layout (64-bit, Go 1.20 to 1.24, unchanged in what we read):
 *   abi.Type        size 48: Size_ 0, PtrBytes 8, Hash 16, TFlag 20, Align 21,
 *                   FieldAlign 22, Kind 23, Equal 24, GCData 32, Str 40 (NameOff), PtrToThis 44
 *   abi.PtrType     Type, Elem *Type @48                       (uncommon @56)
 *   abi.SliceType   Type, Elem *Type @48                       (uncommon @56)
 *   abi.ArrayType   Type, Elem @48, Slice @56, Len @64
 *   abi.MapType     Type, Key @48, Elem @56, ...
 *   abi.StructType  Type, PkgPath Name @48, Fields []StructField @56 (uncommon @80)
 *   abi.StructField Name (*byte) 0, Typ *Type 8, Offset 16        size 24
 *   abi.UncommonType PkgPath NameOff @0, ...
 *   abi.Name        flags byte (1 exported, 2 has tag, 8 embedded), varint len, bytes,
 *                   [varint len, tag bytes]
 * NameOff and TypeOff are relative to the module's `types` base, which the Go
 * linker puts at the start of `.rodata`.
 */

const KINDS = [
  'invalid', 'bool', 'int', 'int8', 'int16', 'int32', 'int64', 'uint', 'uint8', 'uint16', 'uint32', 'uint64', 'uintptr',
  'float32', 'float64', 'complex64', 'complex128', 'array', 'chan', 'func', 'interface', 'map', 'ptr', 'slice', 'string',
  'struct', 'unsafe.Pointer',
];
const KIND_STRUCT = 25;
const TFLAG_UNCOMMON = 1;
const TFLAG_EXTRA_STAR = 2;
const TFLAG_NAMED = 4;
/** Where the uncommon type follows the kind-specific part, for the kinds we need a package path of. */
const UNCOMMON_AT = { ptr: 56, slice: 56, struct: 80 };

/**
 * @typedef {{ name: string, tag: string | undefined, exported: boolean, embedded: boolean, type: GoType }} GoField
 * @typedef {{ va: number, kind: string, name: string, named: boolean, pkgPath?: string,
 *   elem?: GoType, key?: GoType, fields?: GoField[] }} GoType
 */

export class GoTypes {
  /** @param {import('./elf.mjs').ElfFile} elf */
  constructor(elf) {
    this.elf = elf;
    this.buf = elf.buf;
    this.rodata = elf.section('.rodata');
    /** @type {Map<number, GoType>} */
    this.cache = new Map();
  }

  inRodata(va) {
    return va >= this.rodata.addr && va < this.rodata.addr + this.rodata.size;
  }

  off(va) {
    return va - this.rodata.addr + this.rodata.offset;
  }

  u64(va) {
    return Number(this.buf.readBigUInt64LE(this.off(va)));
  }

  varint(o) {
    let value = 0;
    let shift = 0;
    for (;;) {
      const c = this.buf[o++];
      value += (c & 0x7f) * 2 ** shift;
      if (!(c & 0x80)) return [value, o];
      shift += 7;
      if (shift > 28) return undefined;
    }
  }

  /** An abi.Name at a virtual address, or undefined when the bytes there are not one. */
  readName(va) {
    if (!this.inRodata(va)) return undefined;
    let o = this.off(va);
    const flags = this.buf[o++];
    if (flags > 0x0f) return undefined;
    const n = this.varint(o);
    if (!n || n[0] > 4096) return undefined;
    const name = this.buf.subarray(n[1], n[1] + n[0]).toString('latin1');
    let tag;
    if (flags & 2) {
      const t = this.varint(n[1] + n[0]);
      if (!t || t[0] > 4096) return undefined;
      tag = this.buf.subarray(t[1], t[1] + t[0]).toString('latin1');
    }
    return { name, tag, exported: !!(flags & 1), embedded: !!(flags & 8) };
  }

  nameOff(off) {
    return this.readName(this.rodata.addr + off);
  }

  /** The Go type described at `va` (memoized; struct fields are read lazily). */
  type(va) {
    const cached = this.cache.get(va);
    if (cached) return cached;
    const o = this.off(va);
    const tflag = this.buf[o + 20];
    const kind = KINDS[this.buf[o + 23] & 0x1f] ?? 'invalid';
    const str = this.nameOff(this.buf.readInt32LE(o + 40));
    if (!str) throw new Error(`no type name at 0x${va.toString(16)}`);
    const name = tflag & TFLAG_EXTRA_STAR ? str.name.slice(1) : str.name;
    /** @type {GoType} */
    const t = { va, kind, name, named: !!(tflag & TFLAG_NAMED) };
    this.cache.set(va, t);
    if (tflag & TFLAG_UNCOMMON && UNCOMMON_AT[kind]) {
      t.pkgPath = this.nameOff(this.buf.readInt32LE(o + UNCOMMON_AT[kind]))?.name;
    }
    if (kind === 'ptr' || kind === 'slice' || kind === 'array') t.elem = this.type(this.u64(va + 48));
    if (kind === 'map') {
      t.key = this.type(this.u64(va + 48));
      t.elem = this.type(this.u64(va + 56));
    }
    if (kind === 'struct') {
      const types = this;
      let fields;
      Object.defineProperty(t, 'fields', {
        enumerable: true,
        get() {
          fields ??= types.structFields(va);
          return fields;
        },
      });
    }
    return t;
  }

  /** @returns {GoField[]} */
  structFields(va) {
    const ptr = this.u64(va + 56);
    const len = this.u64(va + 64);
    const fields = [];
    for (let i = 0; i < len; i++) {
      const f = ptr + i * 24;
      const name = this.readName(this.u64(f));
      if (!name) throw new Error(`bad struct field name at 0x${f.toString(16)}`);
      fields.push({ ...name, type: this.type(this.u64(f + 8)) });
    }
    return fields;
  }

  /**
   * Every named struct type in the binary, by `<package path>.<Name>`
   * (`k8s.io/api/core/v1.PodSpec`). Found by scanning `.rodata` for type
   * descriptors that validate: kind struct, named, a field slice with len == cap
   * pointing into `.rodata`, every field name a valid abi.Name.
   * @returns {Map<string, GoType>}
   */
  namedStructs() {
    const out = new Map();
    const b = this.buf;
    const start = this.rodata.offset;
    const end = this.rodata.offset + this.rodata.size - 96;
    for (let o = start; o < end; o += 8) {
      if ((b[o + 23] & 0x1f) !== KIND_STRUCT) continue;
      const tflag = b[o + 20];
      if (!(tflag & TFLAG_NAMED) || !(tflag & TFLAG_UNCOMMON)) continue;
      const len = Number(b.readBigUInt64LE(o + 64));
      if (len === 0 || len > 1000 || len !== Number(b.readBigUInt64LE(o + 72))) continue;
      const fptr = Number(b.readBigUInt64LE(o + 56));
      if (!this.inRodata(fptr)) continue;
      const str = this.nameOff(b.readInt32LE(o + 40));
      const pkg = this.nameOff(b.readInt32LE(o + 80));
      if (!str || !pkg || !/^\*?[\w.]+$/.test(str.name)) continue;
      const va = o - start + this.rodata.addr;
      let t;
      try {
        t = this.type(va);
        void t.fields;
      } catch {
        this.cache.delete(va);
        continue;
      }
      const short = t.name.slice(t.name.lastIndexOf('.') + 1);
      out.set(`${t.pkgPath}.${short}`, t);
    }
    return out;
  }
}
