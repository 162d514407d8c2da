// SPDX-License-Identifier: GPL-2.0
/*
 * klp.c - objtool-ext klp-post-link: finalise a live patch module
 *
 * This file owns the rewriting of a built patch module (.ko) and nothing
 * else. The author's code reaches a symbol that the module loader cannot
 * resolve (not exported, or in a module that may load later) through a
 * placeholder: an undefined symbol named
 *
 *	__klp_ext.<object>.<symbol>.<position>
 *
 * (klp-extern.h makes it). Here every relocation against a placeholder
 * moves, unchanged, into a section .klp.rela.<object>.<target section>
 * (SHF_ALLOC | SHF_INFO_LINK | SHF_RELA_LIVEPATCH, linked to the symbol
 * table, sh_info the section it applies to), and the placeholder becomes
 * the symbol .klp.sym.<object>.<symbol>,<position> in section
 * SHN_LIVEPATCH, as Documentation/livepatch/module-elf-format.rst defines
 * them; livepatch then resolves and applies them when the patch or the
 * object loads. Nothing is renumbered: symbols and sections keep their
 * indices (relocations and the kernel's symbol tables name them by
 * index) and the new sections come last; libelf lays the file out anew.
 * Relocations the kernel would not apply late, or that the architecture
 * cannot take from such a section, are refused with the reason, and the
 * file is left as it was.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "objtool-ext.h"

#ifndef SHF_RELA_LIVEPATCH
#define SHF_RELA_LIVEPATCH	0x00100000
#endif
#ifndef SHN_LIVEPATCH
#define SHN_LIVEPATCH		0xff20
#endif

#define KLP_EXT_PREFIX		"__klp_ext."
#define KLP_OBJ_MAX		55	/* the kernel's "%55[^.]" */
#define KLP_SYM_MAX		511	/* the kernel's "%511[^,]" */

/* One placeholder symbol, parsed. */
struct klp_ext {
	char obj[KLP_OBJ_MAX + 1];
	char *name;			/* .klp.sym.<obj>.<sym>,<pos> */
	bool used;			/* by a relocation that moved */
};

/* The relocations of one new .klp.rela section. */
struct klp_bucket {
	const char *obj;
	size_t target;			/* section index */
	size_t name;			/* offset of its name in the new names */
	GElf_Rela *r;
	size_t nr, cap;
};

struct klp_ctx {
	const char *path;
	Elf *elf;
	GElf_Ehdr eh;
	size_t nr_secs, shstrndx, symsec, strsec;
	struct klp_ext **ext;		/* by symbol index, NULL if none */
	size_t nr_syms, nr_ext;
	struct klp_bucket *b;
	size_t nr_b;
	void **bufs;			/* buffers handed to libelf */
	size_t nr_bufs;
	int status;			/* EXIT_* of the first refusal */
};

static __printf(3, 4) void klp_refuse(struct klp_ctx *c, int status,
				      const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "objtool-ext: %s: ", c->path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (c->status == EXIT_CLEAN || status == EXIT_BADINPUT)
		c->status = status;
}

/* A buffer that lives until the file is written. */
static void *klp_buf(struct klp_ctx *c, size_t size)
{
	void **more, *p = calloc(1, size ? size : 1);

	if (!p)
		return NULL;
	more = realloc(c->bufs, (c->nr_bufs + 1) * sizeof(*more));
	if (!more) {
		free(p);
		return NULL;
	}
	c->bufs = more;
	c->bufs[c->nr_bufs++] = p;
	return p;
}

static const char *klp_secname(struct klp_ctx *c, size_t idx)
{
	GElf_Shdr sh;
	Elf_Scn *scn = elf_getscn(c->elf, idx);

	if (!scn || !gelf_getshdr(scn, &sh))
		return NULL;
	return elf_strptr(c->elf, c->shstrndx, sh.sh_name);
}

/*
 * Parse "<obj>.<sym>.<pos>" (what follows the prefix): the object has no
 * '.', the position is the decimal after the last '.', the symbol is what
 * lies between and may hold dots (foo.isra.0) but no ','.
 */
static struct klp_ext *klp_parse_ext(const char *s, char *why, size_t len)
{
	const char *dot = strchr(s, '.'), *last = strrchr(s, '.');
	struct klp_ext *e;
	size_t olen, slen, i;
	char *end;
	unsigned long pos;

	if (!dot || last == dot) {
		snprintf(why, len, "not <object>.<symbol>.<position>");
		return NULL;
	}
	olen = dot - s;
	slen = last - dot - 1;
	if (!olen || olen > KLP_OBJ_MAX) {
		snprintf(why, len, "object name of %zu characters (1 to %d)",
			 olen, KLP_OBJ_MAX);
		return NULL;
	}
	for (i = 0; i < olen; i++)
		if (!(s[i] == '_' || (s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z'))) {
			snprintf(why, len, "object name has a '%c'", s[i]);
			return NULL;
		}
	if (!slen || slen > KLP_SYM_MAX || memchr(dot + 1, ',', slen)) {
		snprintf(why, len, "symbol name empty, longer than %d or with a ','",
			 KLP_SYM_MAX);
		return NULL;
	}
	errno = 0;
	pos = strtoul(last + 1, &end, 10);
	if (!last[1] || *end || errno || last[1] < '0' || last[1] > '9') {
		snprintf(why, len, "position '%s' is not a decimal number",
			 last + 1);
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e || asprintf(&e->name, ".klp.sym.%.*s.%.*s,%lu", (int)olen, s,
			   (int)slen, dot + 1, pos) < 0) {
		free(e);
		snprintf(why, len, "out of memory");
		return NULL;
	}
	memcpy(e->obj, s, olen);
	return e;
}

/* Find the symbol table and the placeholders in it. */
static int klp_read_symbols(struct klp_ctx *c)
{
	Elf_Data *data;
	GElf_Shdr sh;
	size_t i;

	for (i = 1; i < c->nr_secs; i++) {
		Elf_Scn *scn = elf_getscn(c->elf, i);

		if (!scn || !gelf_getshdr(scn, &sh)) {
			klp_refuse(c, EXIT_BADINPUT, "section header %zu cannot be read", i);
			return -1;
		}
		if (sh.sh_type == SHT_SYMTAB_SHNDX) {
			klp_refuse(c, EXIT_BADINPUT, "extended section indices are not supported");
			return -1;
		}
		if (sh.sh_type != SHT_SYMTAB)
			continue;
		if (c->symsec) {
			klp_refuse(c, EXIT_BADINPUT, "two symbol tables");
			return -1;
		}
		c->symsec = i;
		c->strsec = sh.sh_link;
	}
	if (!c->symsec) {
		klp_refuse(c, EXIT_BADINPUT, "no symbol table");
		return -1;
	}
	if (!c->strsec || c->strsec >= c->nr_secs || c->strsec == c->symsec) {
		klp_refuse(c, EXIT_BADINPUT, "the symbol table names no string table");
		return -1;
	}
	gelf_getshdr(elf_getscn(c->elf, c->symsec), &sh);
	data = elf_getdata(elf_getscn(c->elf, c->symsec), NULL);
	if (!data || sh.sh_entsize != sizeof(Elf64_Sym)) {
		klp_refuse(c, EXIT_BADINPUT, "the symbol table cannot be read");
		return -1;
	}
	c->nr_syms = data->d_size / sizeof(Elf64_Sym);
	c->ext = calloc(c->nr_syms ? c->nr_syms : 1, sizeof(*c->ext));
	if (!c->ext) {
		klp_refuse(c, EXIT_BADINPUT, "out of memory");
		return -1;
	}
	for (i = 0; i < c->nr_syms; i++) {
		const char *name;
		char why[128];
		GElf_Sym sym;

		if (!gelf_getsym(data, i, &sym)) {
			klp_refuse(c, EXIT_BADINPUT, "symbol %zu cannot be read", i);
			return -1;
		}
		name = elf_strptr(c->elf, c->strsec, sym.st_name);
		if (!name) {
			klp_refuse(c, EXIT_BADINPUT, "symbol %zu has a name outside the string table", i);
			return -1;
		}
		if (strncmp(name, KLP_EXT_PREFIX, strlen(KLP_EXT_PREFIX)))
			continue;
		if (sym.st_shndx != SHN_UNDEF) {
			klp_refuse(c, EXIT_FINDINGS, "placeholder '%s' is defined here: it must name a symbol of another object",
				   name);
			continue;
		}
		c->ext[i] = klp_parse_ext(name + strlen(KLP_EXT_PREFIX), why,
					  sizeof(why));
		if (!c->ext[i]) {
			klp_refuse(c, EXIT_FINDINGS, "placeholder '%s': %s", name, why);
			continue;
		}
		c->nr_ext++;
	}
	return c->status == EXIT_CLEAN ? 0 : -1;
}

/* Is this a patch module (livepatch=Y in .modinfo)? */
static bool klp_is_livepatch(struct klp_ctx *c)
{
	static const char tag[] = "livepatch=Y";
	size_t i;

	for (i = 1; i < c->nr_secs; i++) {
		const char *name = klp_secname(c, i);
		Elf_Data *d;
		size_t off;

		if (!name || strcmp(name, ".modinfo"))
			continue;
		d = elf_getdata(elf_getscn(c->elf, i), NULL);
		for (off = 0; d && d->d_buf && off < d->d_size;) {
			const char *s = (const char *)d->d_buf + off;
			size_t n = strnlen(s, d->d_size - off);

			if (n == sizeof(tag) - 1 && !memcmp(s, tag, n))
				return true;
			off += n + 1;
		}
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* What each architecture takes from a .klp.rela section               */

/* The field a relocation writes, for the x86_64 zero check: 0 if none. */
static unsigned int klp_x86_field(uint32_t type)
{
	switch (type) {
	case R_X86_64_64:
	case R_X86_64_PC64:
		return 8;
	case R_X86_64_32:
	case R_X86_64_32S:
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
		return 4;
	}
	return 0;
}

static bool klp_type_ok(int machine, uint32_t type)
{
	switch (machine) {
	case EM_X86_64:
		return klp_x86_field(type);
	case EM_AARCH64:
		switch (type) {
		case R_AARCH64_ABS64:
		case R_AARCH64_PREL32:
		case R_AARCH64_PREL64:
		case R_AARCH64_CALL26:
		case R_AARCH64_JUMP26:
		case R_AARCH64_ADR_PREL_PG_HI21:
		case R_AARCH64_ADD_ABS_LO12_NC:
		case R_AARCH64_LDST8_ABS_LO12_NC:
		case R_AARCH64_LDST16_ABS_LO12_NC:
		case R_AARCH64_LDST32_ABS_LO12_NC:
		case R_AARCH64_LDST64_ABS_LO12_NC:
		case R_AARCH64_LDST128_ABS_LO12_NC:
			return true;
		}
		return false;
	case EM_PPC64:
		switch (type) {
		case R_PPC64_REL24:
		case R_PPC64_ADDR64:
		case R_PPC64_REL32:
		case R_PPC64_REL64:
			return true;
		}
		return false;
	case EM_S390:
		switch (type) {
		case R_390_64:
		case R_390_PC32:
		case R_390_PC32DBL:
		case R_390_PLT32DBL:
		case R_390_GOTENT:
			return true;
		}
		return false;
	}
	return false;
}

/*
 * Sections the module loader reads in module_finalize(), before late
 * relocations are written: a module object's address must not be taken
 * there. Nor in code or data freed after init, gone when a module loads
 * later.
 */
static bool klp_late_target_ok(const char *name)
{
	static const char *const bad[] = {
		".init", ".exit", ".altinstr", ".altinstructions",
		"__jump_table", ".static_call_sites", ".call_sites",
		"__ex_table", "__bug_table", ".orc_unwind", "__ftr_fixup",
		"__mmu_ftr_fixup", "__fw_ftr_fixup", "__lwsync_fixup",
		".retpoline_sites", ".return_sites", ".ibt_endbr_seal",
		"__patchable_function_entries", ".smp_locks", ".parainstructions",
		/* Copied, at load, to where late writes never reach. */
		".data..percpu", "__ftr_alt_",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (str_starts(name, bad[i]))
			return false;
	return true;
}

/*
 * arch/powerpc/kernel/module_64.c writes the data relocations (ADDR64,
 * REL32, REL64) with plain stores. The vmlinux sections are written by
 * the module loader while the patch module is still unformed, all of it
 * writable; a module's, when that module loads, after the patch module's
 * read-only sections and its ro_after_init data were sealed.
 */
static bool klp_ppc64_store_ok(struct klp_ctx *c, size_t target,
			       const char *tname, const struct klp_ext *e)
{
	GElf_Shdr sh;

	if (!strcmp(e->obj, "vmlinux"))
		return true;
	if (!gelf_getshdr(elf_getscn(c->elf, target), &sh))
		return false;
	return (sh.sh_flags & SHF_WRITE) &&
	       !str_starts(tname, ".data..ro_after_init");
}

static uint32_t klp_load32(struct klp_ctx *c, const uint8_t *p)
{
	if (c->eh.e_ident[EI_DATA] == ELFDATA2MSB)
		return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
	return (uint32_t)p[3] << 24 | p[2] << 16 | p[1] << 8 | p[0];
}

/* Check one relocation to move: 0, or refused (with the reason said). */
static int klp_check_rela(struct klp_ctx *c, const GElf_Rela *r,
			  size_t target, const char *tname,
			  const struct klp_ext *e)
{
	uint32_t type = GELF_R_TYPE(r->r_info);
	Elf_Data *d = elf_getdata(elf_getscn(c->elf, target), NULL);
	const uint8_t *code = d ? d->d_buf : NULL;
	size_t size = d ? d->d_size : 0;

	if (!klp_type_ok(c->eh.e_machine, type)) {
		klp_refuse(c, EXIT_FINDINGS, "%s+0x%llx: relocation type %u against '%s' cannot be applied by livepatch",
			   tname, (unsigned long long)r->r_offset, type,
			   e->name);
		return -1;
	}
	if (strcmp(e->obj, "vmlinux") && !klp_late_target_ok(tname)) {
		klp_refuse(c, EXIT_FINDINGS, "%s+0x%llx: '%s', of a module, used in %s: livepatch writes it after the loader read or freed that section",
			   tname, (unsigned long long)r->r_offset, e->name,
			   tname);
		return -1;
	}
	if (c->eh.e_machine == EM_X86_64 && code) {
		unsigned int n = klp_x86_field(type), i;

		if (r->r_offset > size || n > size - r->r_offset) {
			klp_refuse(c, EXIT_BADINPUT, "%s+0x%llx: relocation outside its section",
				   tname, (unsigned long long)r->r_offset);
			return -1;
		}
		/* arch/x86/kernel/module.c writes only over zeroes. */
		for (i = 0; i < n; i++)
			if (code[r->r_offset + i]) {
				klp_refuse(c, EXIT_FINDINGS, "%s+0x%llx: the field of the relocation against '%s' is not zero",
					   tname, (unsigned long long)r->r_offset,
					   e->name);
				return -1;
			}
	}
	if (c->eh.e_machine == EM_PPC64 && type != R_PPC64_REL24 &&
	    !klp_ppc64_store_ok(c, target, tname, e)) {
		klp_refuse(c, EXIT_FINDINGS, "%s+0x%llx: ppc64 writes the relocation against '%s' with a plain store, and %s is read-only by then",
			   tname, (unsigned long long)r->r_offset, e->name,
			   tname);
		return -1;
	}
	if (c->eh.e_machine == EM_PPC64 && type == R_PPC64_REL24 && code) {
		uint32_t insn, next;

		if (r->r_offset > size || size - r->r_offset < 8) {
			klp_refuse(c, EXIT_FINDINGS, "%s+0x%llx: a call against '%s' with no instruction after it",
				   tname, (unsigned long long)r->r_offset,
				   e->name);
			return -1;
		}
		insn = klp_load32(c, code + r->r_offset);
		next = klp_load32(c, code + r->r_offset + 4);
		/*
		 * A call through a module stub changes r2: module_64.c
		 * turns the nop after the bl into the TOC restore.
		 */
		if ((insn & 0xfc000003) == 0x48000001 &&
		    next != 0x60000000 && next != 0xe8410018) {
			klp_refuse(c, EXIT_FINDINGS, "%s+0x%llx: the call of '%s' is not followed by a nop (declare it extern, not static or hidden)",
				   tname, (unsigned long long)r->r_offset,
				   e->name);
			return -1;
		}
	}
	return 0;
}

static struct klp_bucket *klp_bucket(struct klp_ctx *c, const char *obj,
				     size_t target)
{
	struct klp_bucket *b;
	size_t i;

	for (i = 0; i < c->nr_b; i++)
		if (c->b[i].target == target && !strcmp(c->b[i].obj, obj))
			return &c->b[i];
	b = realloc(c->b, (c->nr_b + 1) * sizeof(*b));
	if (!b)
		return NULL;
	c->b = b;
	b = &c->b[c->nr_b++];
	memset(b, 0, sizeof(*b));
	b->obj = obj;
	b->target = target;
	return b;
}

static int klp_bucket_add(struct klp_bucket *b, const GElf_Rela *r)
{
	if (b->nr == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		GElf_Rela *more = realloc(b->r, cap * sizeof(*more));

		if (!more)
			return -1;
		b->r = more;
		b->cap = cap;
	}
	b->r[b->nr++] = *r;
	return 0;
}

/* Take the placeholders' relocations out of one relocation section. */
static int klp_split_section(struct klp_ctx *c, size_t idx,
			     const GElf_Shdr *sh)
{
	Elf_Scn *scn = elf_getscn(c->elf, idx);
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t i, n, kept = 0, target = sh->sh_info;
	GElf_Shdr tsh, rsh = *sh;
	const char *tname;

	if (sh->sh_link != c->symsec)
		return 0;
	if (!target || target >= c->nr_secs ||
	    !gelf_getshdr(elf_getscn(c->elf, target), &tsh)) {
		klp_refuse(c, EXIT_BADINPUT, "relocation section %zu applies to section %zu",
			   idx, target);
		return -1;
	}
	tname = klp_secname(c, target);
	if (!d || !tname || sh->sh_entsize != sizeof(Elf64_Rela)) {
		klp_refuse(c, EXIT_BADINPUT, "relocation section %zu cannot be read", idx);
		return -1;
	}
	n = d->d_size / sizeof(Elf64_Rela);
	for (i = 0; i < n; i++) {
		struct klp_bucket *b;
		struct klp_ext *e;
		GElf_Rela r;
		size_t sym;

		if (!gelf_getrela(d, i, &r)) {
			klp_refuse(c, EXIT_BADINPUT, "relocation %zu of section %zu cannot be read",
				   i, idx);
			return -1;
		}
		sym = GELF_R_SYM(r.r_info);
		if (sym >= c->nr_syms) {
			klp_refuse(c, EXIT_BADINPUT, "relocation %zu of section %zu names symbol %zu of %zu",
				   i, idx, sym, c->nr_syms);
			return -1;
		}
		e = c->ext[sym];
		/* The loader never applies relocations of what it does not load. */
		if (!e || !(tsh.sh_flags & SHF_ALLOC)) {
			if (kept != i && !gelf_update_rela(d, kept, &r))
				goto bad;
			kept++;
			continue;
		}
		if (klp_check_rela(c, &r, target, tname, e))
			continue;
		b = klp_bucket(c, e->obj, target);
		if (!b || klp_bucket_add(b, &r)) {
			klp_refuse(c, EXIT_BADINPUT, "out of memory");
			return -1;
		}
		e->used = true;
	}
	if (kept == n)
		return 0;
	/* libelf writes what d_size says; the section shrinks in place. */
	d->d_size = kept * sizeof(Elf64_Rela);
	rsh.sh_size = d->d_size;
	elf_flagdata(d, ELF_C_SET, ELF_F_DIRTY);
	if (gelf_update_shdr(scn, &rsh))
		return 0;
bad:
	klp_refuse(c, EXIT_BADINPUT, "relocation section %zu cannot be rewritten: %s",
		   idx, elf_errmsg(-1));
	return -1;
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */

/*
 * Append @add (NUL-separated strings, @len bytes) to string table @idx;
 * returns the offset of the first, or -1.
 */
static int64_t klp_grow_strtab(struct klp_ctx *c, size_t idx, const char *add,
			       size_t len)
{
	Elf_Scn *scn = elf_getscn(c->elf, idx);
	Elf_Data *d = elf_getdata(scn, NULL);
	GElf_Shdr sh;
	char *buf;
	size_t old;

	if (!d || !gelf_getshdr(scn, &sh) || sh.sh_type != SHT_STRTAB ||
	    elf_getdata(scn, d))
		return -1;
	old = d->d_size;
	buf = klp_buf(c, old + len);
	if (!buf)
		return -1;
	memcpy(buf, d->d_buf, old);
	memcpy(buf + old, add, len);
	d->d_buf = buf;
	d->d_size = old + len;
	elf_flagdata(d, ELF_C_SET, ELF_F_DIRTY);
	return old;
}

/* Rename the placeholders; the new names go to the end of the strings. */
static int klp_rename(struct klp_ctx *c)
{
	Elf_Data *d = elf_getdata(elf_getscn(c->elf, c->symsec), NULL);
	size_t i, len = 0, off;
	int64_t base;
	char *all;

	for (i = 0; i < c->nr_syms; i++)
		if (c->ext[i])
			len += strlen(c->ext[i]->name) + 1;
	all = malloc(len ? len : 1);
	if (!all)
		return -1;
	for (i = 0, off = 0; i < c->nr_syms; i++)
		if (c->ext[i]) {
			size_t n = strlen(c->ext[i]->name) + 1;

			memcpy(all + off, c->ext[i]->name, n);
			off += n;
		}
	base = klp_grow_strtab(c, c->strsec, all, len);
	free(all);
	if (base < 0)
		return -1;
	for (i = 0, off = 0; i < c->nr_syms; i++) {
		GElf_Sym sym;

		if (!c->ext[i])
			continue;
		if (!gelf_getsym(d, i, &sym))
			return -1;
		sym.st_name = base + off;
		sym.st_shndx = SHN_LIVEPATCH;
		sym.st_info = GELF_ST_INFO(STB_GLOBAL, STT_NOTYPE);
		sym.st_value = 0;
		sym.st_size = 0;
		if (!gelf_update_sym(d, i, &sym))
			return -1;
		off += strlen(c->ext[i]->name) + 1;
	}
	elf_flagdata(d, ELF_C_SET, ELF_F_DIRTY);
	return 0;
}

/* One new section per bucket, its name added to the section names. */
static int klp_add_sections(struct klp_ctx *c)
{
	size_t i, len = 0, off;
	int64_t base;
	char *names;

	for (i = 0; i < c->nr_b; i++)
		len += strlen(".klp.rela..") + strlen(c->b[i].obj) +
		       strlen(klp_secname(c, c->b[i].target)) + 1;
	names = malloc(len ? len : 1);
	if (!names)
		return -1;
	for (i = 0, off = 0; i < c->nr_b; i++) {
		c->b[i].name = off;
		off += sprintf(names + off, ".klp.rela.%s.%s", c->b[i].obj,
			       klp_secname(c, c->b[i].target)) + 1;
	}
	base = klp_grow_strtab(c, c->shstrndx, names, len);
	free(names);
	if (base < 0)
		return -1;

	for (i = 0; i < c->nr_b; i++) {
		struct klp_bucket *b = &c->b[i];
		Elf_Scn *scn = elf_newscn(c->elf);
		Elf_Data *d = scn ? elf_newdata(scn) : NULL;
		GElf_Shdr sh = { 0 };
		size_t j;

		if (!d)
			return -1;
		d->d_type = ELF_T_RELA;
		d->d_version = EV_CURRENT;
		d->d_align = 8;
		d->d_size = b->nr * sizeof(Elf64_Rela);
		d->d_buf = klp_buf(c, d->d_size);
		if (!d->d_buf)
			return -1;
		for (j = 0; j < b->nr; j++)
			if (!gelf_update_rela(d, j, &b->r[j]))
				return -1;
		sh.sh_name = base + b->name;
		sh.sh_type = SHT_RELA;
		sh.sh_flags = SHF_ALLOC | SHF_INFO_LINK | SHF_RELA_LIVEPATCH;
		sh.sh_link = c->symsec;
		sh.sh_info = b->target;
		sh.sh_entsize = sizeof(Elf64_Rela);
		sh.sh_addralign = 8;
		sh.sh_size = d->d_size;
		if (!gelf_update_shdr(scn, &sh))
			return -1;
	}
	return 0;
}

/* Copy @from into the empty file open on @out, with @from's mode. */
static int klp_copy(const char *from, int out)
{
	char buf[65536];
	struct stat st;
	ssize_t n = 0;
	int in;

	in = open(from, O_RDONLY);
	if (in < 0)
		return -1;
	if (fstat(in, &st) || fchmod(out, st.st_mode & 0777)) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		ssize_t w = write(out, buf, n);

		if (w != n) {
			if (w >= 0)
				errno = EIO;	/* short write: the disk is full */
			n = -1;
			break;
		}
	}
	close(in);
	return n < 0 ? -1 : 0;
}

static void klp_free(struct klp_ctx *c)
{
	size_t i;

	for (i = 0; c->ext && i < c->nr_syms; i++)
		if (c->ext[i]) {
			free(c->ext[i]->name);
			free(c->ext[i]);
		}
	free(c->ext);
	for (i = 0; i < c->nr_b; i++)
		free(c->b[i].r);
	free(c->b);
	for (i = 0; i < c->nr_bufs; i++)
		free(c->bufs[i]);
	free(c->bufs);
}

/* A signature appended by scripts/sign-file ends with this. */
static const char klp_sig_magic[] = "~Module signature appended~\n";

static bool klp_is_signed(const char *path)
{
	char tail[sizeof(klp_sig_magic) - 1];
	bool sig = false;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return false;
	if (lseek(fd, -(off_t)sizeof(tail), SEEK_END) >= 0 &&
	    read(fd, tail, sizeof(tail)) == (ssize_t)sizeof(tail))
		sig = !memcmp(tail, klp_sig_magic, sizeof(tail));
	close(fd);
	return sig;
}

static int klp_rewrite(struct klp_ctx *c)
{
	size_t i;

	if (elf_kind(c->elf) != ELF_K_ELF || gelf_getclass(c->elf) != ELFCLASS64 ||
	    !gelf_getehdr(c->elf, &c->eh)) {
		klp_refuse(c, EXIT_BADINPUT, "not a 64-bit ELF file");
		return -1;
	}
	if (c->eh.e_type != ET_REL) {
		klp_refuse(c, EXIT_BADINPUT, "not a module (ELF type %u)", c->eh.e_type);
		return -1;
	}
	if (!arch_for_machine(c->eh.e_machine) && c->eh.e_machine != EM_X86_64) {
		klp_refuse(c, EXIT_BADINPUT, "machine %u is not arm64, ppc64le, s390x or x86_64",
			   c->eh.e_machine);
		return -1;
	}
	if (elf_getshdrnum(c->elf, &c->nr_secs) ||
	    elf_getshdrstrndx(c->elf, &c->shstrndx) ||
	    c->shstrndx >= c->nr_secs) {
		klp_refuse(c, EXIT_BADINPUT, "section headers cannot be read: %s",
			   elf_errmsg(-1));
		return -1;
	}
	if (klp_read_symbols(c))
		return -1;
	if (!c->nr_ext)
		return 0;	/* nothing to do, or done already */
	if (!klp_is_livepatch(c)) {
		klp_refuse(c, EXIT_FINDINGS, "not a live patch module: no livepatch=Y in .modinfo (MODULE_INFO(livepatch, \"Y\"))");
		return -1;
	}

	for (i = 1; i < c->nr_secs; i++) {
		GElf_Shdr sh;

		gelf_getshdr(elf_getscn(c->elf, i), &sh);
		if (sh.sh_type == SHT_REL && sh.sh_link == c->symsec) {
			klp_refuse(c, EXIT_BADINPUT, "REL relocations are not supported (section %zu)",
				   i);
			return -1;
		}
		if (sh.sh_type != SHT_RELA || (sh.sh_flags & SHF_RELA_LIVEPATCH))
			continue;
		if (klp_split_section(c, i, &sh) && c->status == EXIT_BADINPUT)
			return -1;
	}
	for (i = 0; i < c->nr_syms; i++)
		if (c->ext[i] && !c->ext[i]->used)
			klp_refuse(c, EXIT_FINDINGS, "placeholder '%s' is declared but never used by loaded code",
				   c->ext[i]->name);
	if (c->status != EXIT_CLEAN)
		return -1;

	if (klp_rename(c) || klp_add_sections(c)) {
		klp_refuse(c, EXIT_BADINPUT, "cannot build the new sections: %s",
			   elf_errmsg(-1));
		return -1;
	}
	if (elf_update(c->elf, ELF_C_WRITE) < 0) {
		klp_refuse(c, EXIT_BADINPUT, "cannot write: %s", elf_errmsg(-1));
		return -1;
	}
	return 0;
}

/**
 * klp_post_link() - finalise the patch module @in into @out
 * @in:		the module built by kbuild
 * @out:	where to write it (may be @in)
 *
 * Return: EXIT_CLEAN, EXIT_FINDINGS (the module uses a placeholder in a
 * way livepatch cannot apply; said on stderr) or EXIT_BADINPUT. On any
 * refusal @out is not written.
 */
int klp_post_link(const char *in, const char *out)
{
	struct klp_ctx c = { .path = in };
	char *tmp;
	int fd;

	/* Rewriting would break the signature: finalise, then sign. */
	if (klp_is_signed(in)) {
		fprintf(stderr, "objtool-ext: %s: the module is signed already: finalise it before sign-file\n",
			in);
		return EXIT_FINDINGS;
	}
	/* A name of its own: runs on one output must not share a file. */
	if (asprintf(&tmp, "%s.XXXXXX", out) < 0)
		return EXIT_BADINPUT;
	fd = mkstemp(tmp);
	if (fd < 0 || klp_copy(in, fd)) {
		fprintf(stderr, "objtool-ext: %s: cannot copy to %s: %s\n", in,
			tmp, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		free(tmp);
		return EXIT_BADINPUT;
	}
	elf_version(EV_CURRENT);
	c.elf = elf_begin(fd, ELF_C_RDWR, NULL);
	if (!c.elf)
		klp_refuse(&c, EXIT_BADINPUT, "not an ELF file");
	else if (!klp_rewrite(&c) && (fsync(fd) || rename(tmp, out)))
		klp_refuse(&c, EXIT_BADINPUT, "cannot write %s: %s", out,
			   strerror(errno));
	if (c.elf)
		elf_end(c.elf);
	close(fd);
	if (c.status != EXIT_CLEAN)
		unlink(tmp);
	klp_free(&c);
	free(tmp);
	return c.status;
}
