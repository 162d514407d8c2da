// SPDX-License-Identifier: GPL-2.0
/*
 * elf.c - read an object into objtool-ext's tables
 *
 * The input may be anything: a truncated build product, a fuzzed file.
 * Every offset, index and size taken from the file is checked against the
 * file before it is followed, and the first inconsistency ends the load
 * with a reason. libelf translates symbols and relocations to host byte
 * order (s390x objects are big-endian); code is kept as it is in the file.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "objtool-ext.h"

#ifndef SHF_RELA_LIVEPATCH
#define SHF_RELA_LIVEPATCH	0x00100000
#endif

struct elf_priv {
	Elf *elf;
	uint8_t *image;
	size_t size;
};

/* Say why in @why and fail. */
static __printf(3, 4) int fail(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -1;
}

static int read_file(const char *path, uint8_t **image, size_t *size,
		     char *why, size_t len)
{
	struct stat st;
	uint8_t *buf;
	size_t done = 0;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0) {
		snprintf(why, len, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(why, len, "not a regular file");
		close(fd);
		return -1;
	}
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf) {
		snprintf(why, len, "out of memory");
		close(fd);
		return -1;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, st.st_size - done);

		if (n <= 0) {
			snprintf(why, len, "cannot read: %s",
				 n ? strerror(errno) : "short file");
			free(buf);
			close(fd);
			return -1;
		}
		done += n;
	}
	close(fd);
	*image = buf;
	*size = done;
	return 0;
}

/* A NUL-terminated string at @off of a string table, or NULL. */
static const char *str_at(const Elf_Data *strs, size_t off)
{
	const char *s = strs->d_buf;

	if (!s || off >= strs->d_size)
		return NULL;
	if (!memchr(s + off, '\0', strs->d_size - off))
		return NULL;
	return s + off;
}

static int load_symbols(struct objfile *obj, Elf *elf, size_t symsec,
			const GElf_Shdr *sh, char *why, size_t len)
{
	Elf_Scn *scn = elf_getscn(elf, symsec);
	Elf_Data *data = elf_getdata(scn, NULL);
	Elf_Scn *strscn;
	Elf_Data *strs;
	size_t i, n;

	if (!data || !sh->sh_entsize)
		return fail(why, len, "symbol table cannot be read");
	if (sh->sh_link >= obj->nr_secs || !sh->sh_link)
		return fail(why, len, "symbol table names no string table");
	strscn = elf_getscn(elf, sh->sh_link);
	strs = strscn ? elf_getdata(strscn, NULL) : NULL;
	if (!strs || !strs->d_buf)
		return fail(why, len, "string table of the symbols cannot be read");

	n = data->d_size / sh->sh_entsize;
	obj->syms = calloc(n ? n : 1, sizeof(*obj->syms));
	if (!obj->syms)
		return fail(why, len, "out of memory");
	obj->nr_syms = n;
	for (i = 0; i < n; i++) {
		struct symbol *s = &obj->syms[i];
		GElf_Sym sym;

		if (!gelf_getsym(data, i, &sym))
			return fail(why, len, "symbol %zu cannot be read", i);
		s->name = str_at(strs, sym.st_name);
		if (!s->name)
			return fail(why, len, "symbol %zu has a name outside the string table",
			     i);
		s->type = GELF_ST_TYPE(sym.st_info);
		s->bind = GELF_ST_BIND(sym.st_info);
		s->other = sym.st_other;
		s->value = sym.st_value;
		s->size = sym.st_size;
		if (sym.st_shndx == SHN_XINDEX)
			return fail(why, len, "extended section indices are not supported");
		if (sym.st_shndx >= SHN_LORESERVE || sym.st_shndx == SHN_UNDEF) {
			s->sec = 0;
		} else {
			if (sym.st_shndx >= obj->nr_secs)
				return fail(why, len, "symbol '%s' names section %u of %zu",
				     s->name, sym.st_shndx, obj->nr_secs);
			s->sec = sym.st_shndx;
		}
	}
	return 0;
}

static int load_relocs(struct objfile *obj, Elf *elf, size_t idx,
		       const GElf_Shdr *sh, size_t symsec, char *why,
		       size_t len)
{
	Elf_Data *data = elf_getdata(elf_getscn(elf, idx), NULL);
	struct section *target;
	size_t i, n;

	if (sh->sh_link != symsec)
		return 0;		/* not against the symbol table we read */
	if (!sh->sh_info || sh->sh_info >= obj->nr_secs)
		return fail(why, len, "relocation section %zu applies to section %u", idx,
		     (unsigned int)sh->sh_info);
	target = &obj->secs[sh->sh_info];
	if (!data || !sh->sh_entsize)
		return fail(why, len, "relocation section %zu cannot be read", idx);
	if (target->relocs)
		return fail(why, len, "section '%s' has two relocation sections", target->name);

	n = data->d_size / sh->sh_entsize;
	target->relocs = calloc(n ? n : 1, sizeof(*target->relocs));
	if (!target->relocs)
		return fail(why, len, "out of memory");
	target->nr_relocs = n;
	for (i = 0; i < n; i++) {
		struct reloc *r = &target->relocs[i];
		GElf_Rela rela;

		if (!gelf_getrela(data, i, &rela))
			return fail(why, len, "relocation %zu of section %zu cannot be read",
			     i, idx);
		r->offset = rela.r_offset;
		r->addend = rela.r_addend;
		r->sym = GELF_R_SYM(rela.r_info);
		r->type = GELF_R_TYPE(rela.r_info);
		if (r->sym >= obj->nr_syms)
			return fail(why, len, "relocation %zu of section %zu names symbol %zu of %zu",
			     i, idx, r->sym, obj->nr_syms);
		if (r->offset >= target->size)
			return fail(why, len, "relocation %zu of section %zu lies outside '%s'",
			     i, idx, target->name);
	}
	return 0;
}

static int cmp_reloc(const void *a, const void *b)
{
	const struct reloc *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Fill @obj from the file already in priv->image; -1 with a reason. */
static int obj_load(struct objfile *obj, struct elf_priv *priv, char *why,
		    size_t len)
{
	size_t i, shstrndx, symsec = 0;
	GElf_Ehdr eh;
	Elf_Data *names;

	elf_version(EV_CURRENT);
	priv->elf = elf_memory((char *)priv->image, priv->size);
	if (!priv->elf || elf_kind(priv->elf) != ELF_K_ELF)
		return fail(why, len, "not an ELF file");
	if (gelf_getclass(priv->elf) != ELFCLASS64)
		return fail(why, len, "not a 64-bit ELF file");
	if (!gelf_getehdr(priv->elf, &eh))
		return fail(why, len, "ELF header cannot be read: %s", elf_errmsg(-1));
	if (eh.e_type != ET_REL && eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
		return fail(why, len, "ELF type %u is not an object or an executable",
		     eh.e_type);
	obj->machine = eh.e_machine;
	obj->relocatable = eh.e_type == ET_REL;

	if (elf_getshdrnum(priv->elf, &obj->nr_secs) ||
	    elf_getshdrstrndx(priv->elf, &shstrndx))
		return fail(why, len, "section headers cannot be read: %s", elf_errmsg(-1));
	if (!obj->nr_secs)
		return fail(why, len, "no sections");
	if (shstrndx >= obj->nr_secs)
		return fail(why, len, "section name table %zu of %zu", shstrndx, obj->nr_secs);
	names = elf_getdata(elf_getscn(priv->elf, shstrndx), NULL);
	if (!names || !names->d_buf)
		return fail(why, len, "section names cannot be read");

	obj->secs = calloc(obj->nr_secs, sizeof(*obj->secs));
	if (!obj->secs)
		return fail(why, len, "out of memory");
	for (i = 0; i < obj->nr_secs; i++) {
		struct section *s = &obj->secs[i];
		Elf_Scn *scn = elf_getscn(priv->elf, i);
		GElf_Shdr sh;

		if (!scn || !gelf_getshdr(scn, &sh))
			return fail(why, len, "section header %zu cannot be read", i);
		s->name = str_at(names, sh.sh_name);
		if (!s->name)
			return fail(why, len, "section %zu has a name outside the name table", i);
		s->type = sh.sh_type;
		s->flags = sh.sh_flags;
		s->addr = sh.sh_addr;
		s->size = sh.sh_size;
		if (sh.sh_type != SHT_NOBITS && sh.sh_type != SHT_NULL) {
			if (sh.sh_offset > priv->size ||
			    sh.sh_size > priv->size - sh.sh_offset)
				return fail(why, len, "section '%s' lies beyond the end of the file (%zu bytes)",
				     s->name, priv->size);
			s->data = priv->image + sh.sh_offset;
		}
		if (sh.sh_type == SHT_SYMTAB) {
			if (symsec)
				return fail(why, len, "two symbol tables");
			symsec = i;
		}
	}

	if (symsec) {
		GElf_Shdr sh;

		gelf_getshdr(elf_getscn(priv->elf, symsec), &sh);
		if (load_symbols(obj, priv->elf, symsec, &sh, why, len))
			return -1;
	}
	for (i = 0; i < obj->nr_secs && symsec; i++) {
		GElf_Shdr sh;

		gelf_getshdr(elf_getscn(priv->elf, i), &sh);
		/*
		 * A patch module's .klp.rela sections are livepatch's, applied
		 * when their object loads, beside the target's own.
		 */
		if (sh.sh_type == SHT_RELA && (sh.sh_flags & SHF_RELA_LIVEPATCH))
			continue;
		if (sh.sh_type == SHT_RELA &&
		    load_relocs(obj, priv->elf, i, &sh, symsec, why, len))
			return -1;
		if (sh.sh_type == SHT_REL)
			return fail(why, len, "REL relocations are not supported (section %zu)",
			     i);
	}
	for (i = 0; i < obj->nr_secs; i++)
		if (obj->secs[i].relocs)
			qsort(obj->secs[i].relocs, obj->secs[i].nr_relocs,
			      sizeof(struct reloc), cmp_reloc);
	return 0;
}

int obj_open(struct objfile *obj, const char *path, char *why, size_t len)
{
	struct elf_priv *priv;

	memset(obj, 0, sizeof(*obj));
	obj->path = path;
	priv = calloc(1, sizeof(*priv));
	if (!priv)
		return fail(why, len, "out of memory");
	obj->priv = priv;
	if (read_file(path, &priv->image, &priv->size, why, len) ||
	    obj_load(obj, priv, why, len)) {
		obj_close(obj);
		return -1;
	}
	return 0;
}

void obj_close(struct objfile *obj)
{
	struct elf_priv *priv = obj->priv;
	size_t i;

	for (i = 0; obj->secs && i < obj->nr_secs; i++)
		free(obj->secs[i].relocs);
	free(obj->secs);
	free(obj->syms);
	if (priv) {
		if (priv->elf)
			elf_end(priv->elf);
		free(priv->image);
		free(priv);
	}
	obj->secs = NULL;
	obj->syms = NULL;
	obj->priv = NULL;
	obj->nr_secs = 0;
	obj->nr_syms = 0;
}

const struct reloc *obj_reloc_at(const struct objfile *obj, size_t sec,
				 uint64_t off, uint64_t len)
{
	const struct section *s = &obj->secs[sec];
	size_t lo = 0, hi = s->nr_relocs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->relocs[mid].offset < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->nr_relocs && s->relocs[lo].offset < off + len)
		return &s->relocs[lo];
	return NULL;
}
