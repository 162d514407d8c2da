// SPDX-License-Identifier: GPL-2.0
/*
 * relocs.c - symbols of patched objects, and the .klp.rela sections
 *
 * A patch module refers to symbols it cannot link against (static
 * functions and data of vmlinux or of other modules) through relocation
 * sections named
 *
 *	.klp.rela.<objname>.<section>
 *
 * whose symbols are named ".klp.sym.<objname>.<symbol>,<sympos>" and
 * marked SHN_LIVEPATCH. The module loader keeps these sections (see
 * kernel/module/livepatch.c); vmlinux ones are written when the patch
 * module loads, module ones when the patched module is (or comes) loaded.
 * The format is the ABI of kpatch-build and klp-build and does not change.
 */

#define pr_fmt(fmt) "livepatch: " fmt

#include <linux/elf.h>
#include <linux/kallsyms.h>
#include <linux/module.h>
#include <linux/moduleloader.h>
#include <linux/string.h>

#include "internal.h"
#include "klp-extern.h"

/* Field widths of the sscanf() formats below; see klp_parse_*(). */
#define KLP_OBJNAME_MAX	55
#define KLP_SYMNAME_MAX	511

struct klp_sym_search {
	const char *name;
	unsigned long sympos;	/* 0: must be unique */
	unsigned long count;	/* matches seen so far */
	unsigned long addr;	/* the wanted one, or the last seen */
};

static int klp_sym_match(void *data, unsigned long addr)
{
	struct klp_sym_search *s = data;

	s->count++;
	s->addr = addr;
	/* Stop at the wanted position, or at the second of a unique one. */
	if (s->sympos ? s->count == s->sympos : s->count > 1)
		return 1;
	return 0;
}

static int klp_sym_match_named(void *data, const char *name,
			       unsigned long addr)
{
	struct klp_sym_search *s = data;

	return strcmp(s->name, name) ? 0 : klp_sym_match(data, addr);
}

/**
 * klp_lookup_symbol() - find a symbol of vmlinux or of a loaded module
 * @objname:	module name, or NULL for vmlinux
 * @name:	symbol name
 * @sympos:	1-based position among equal names; 0 when it must be unique
 * @addr:	returns the address
 *
 * Return: 0, or -EINVAL after one error line naming the problem.
 */
int klp_lookup_symbol(const char *objname, const char *name,
		      unsigned long sympos, unsigned long *addr)
{
	struct klp_sym_search s = { .name = name, .sympos = sympos };
	const char *where = objname ?: "vmlinux";

	if (objname)
		module_kallsyms_on_each_symbol(objname, klp_sym_match_named, &s);
	else
		kallsyms_on_each_match_symbol(klp_sym_match, name, &s);

	*addr = 0;
	if (!s.count) {
		pr_err("symbol '%s' not found in symbol table\n", name);
	} else if (!sympos && s.count > 1) {
		pr_err("symbol '%s' in object '%s' is ambiguous: give old_sympos\n",
		       name, where);
	} else if (sympos && s.count != sympos) {
		pr_err("symbol position %lu for symbol '%s' in object '%s' not found\n",
		       sympos, name, where);
	} else {
		*addr = s.addr;
		return 0;
	}
	return -EINVAL;
}

/*
 * Give one .klp.sym symbol its address. in_vmlinux_sec: the symbol is
 * used by a vmlinux section; a module's section must not reach into
 * vmlinux, since it is written late, after the patch module's own
 * special sections were set up with the vmlinux symbols they need.
 */
static int klp_resolve_klp_sym(Elf_Sym *sym, const char *symstr,
			       bool in_vmlinux_sec)
{
	char objname[KLP_OBJNAME_MAX + 1], symname[KLP_SYMNAME_MAX + 1];
	unsigned long pos, addr;
	bool of_vmlinux;
	int err;

	if (sym->st_shndx != SHN_LIVEPATCH) {
		pr_err("symbol %s is not a livepatch symbol (SHN_LIVEPATCH)\n",
		       symstr);
		return -EINVAL;
	}
	/* .klp.sym.<objname>.<symbol>,<sympos> */
	if (sscanf(symstr, ".klp.sym.%55[^.].%511[^,],%lu",
		   objname, symname, &pos) != 3) {
		pr_err("livepatch symbol %s is malformed\n", symstr);
		return -EINVAL;
	}

	of_vmlinux = !strcmp(objname, "vmlinux");
	if (of_vmlinux && !in_vmlinux_sec) {
		pr_err("module-specific relocation section uses vmlinux symbol '%s'\n",
		       symname);
		return -EINVAL;
	}

	err = klp_lookup_symbol(of_vmlinux ? NULL : objname, symname, pos,
				&addr);
	if (!err)
		sym->st_value = addr;
	return err;
}

/* Architectures that can write but not clear relocations. */
void __weak clear_relocate_add(Elf_Shdr *sechdrs, const char *strtab,
			       unsigned int symindex, unsigned int relsec,
			       struct module *me)
{
}

static int klp_section_relocs(struct module *pmod, Elf_Shdr *shdrs,
			      const char *secnames, const char *symnames,
			      unsigned int symtab_idx, unsigned int rela_idx,
			      const char *objname, bool apply)
{
	char owner[KLP_OBJNAME_MAX + 1];
	Elf_Shdr *rela_sec = &shdrs[rela_idx];
	const char *secname = secnames + rela_sec->sh_name;
	const char *want = objname ?: "vmlinux";
	Elf_Rela *rela = (Elf_Rela *)rela_sec->sh_addr;
	unsigned int i, n = rela_sec->sh_size / sizeof(*rela);
	int err;

	/* The widths in the formats must fit the kernel's name limits. */
	BUILD_BUG_ON(KLP_OBJNAME_MAX + 1 > MODULE_NAME_LEN ||
		     KLP_SYMNAME_MAX + 1 != KSYM_NAME_LEN);

	/* .klp.rela.<objname>.<section> */
	if (sscanf(secname, ".klp.rela.%55[^.]", owner) != 1) {
		pr_err("livepatch relocation section %s is malformed\n",
		       secname);
		return -EINVAL;
	}

	/* Only the sections of the object at hand. */
	if (strcmp(owner, want))
		return 0;

	if (!apply) {
		clear_relocate_add(shdrs, symnames, symtab_idx, rela_idx, pmod);
		return 0;
	}

	for (i = 0; i < n; i++) {
		Elf_Sym *sym = (Elf_Sym *)shdrs[symtab_idx].sh_addr +
			       ELF_R_SYM(rela[i].r_info);

		err = klp_resolve_klp_sym(sym, symnames + sym->st_name,
					  !strcmp(owner, "vmlinux"));
		if (err)
			return err;
	}
	err = apply_relocate_add(shdrs, symnames, symtab_idx, rela_idx, pmod);
	/* What it wrote before it failed goes too, as far as the arch can. */
	if (err)
		clear_relocate_add(shdrs, symnames, symtab_idx, rela_idx, pmod);
	return err;
}

/**
 * klp_apply_section_relocs() - write one .klp.rela section of a patch
 * @pmod:	the live patch module
 * @sechdrs:	its section headers
 * @shstrtab:	its section name string table
 * @strtab:	its symbol string table
 * @symndx:	index of its symbol table section
 * @secndx:	index of the relocation section
 * @objname:	the object being written, NULL for vmlinux
 *
 * Called by the module loader for the vmlinux sections while the patch
 * module loads, and by klpcore for a module's sections when that module
 * is loaded. Sections of other objects are left alone.
 *
 * Context: may sleep.
 * Return: 0, or a negative errno after an error line.
 */
int klp_apply_section_relocs(struct module *pmod, Elf_Shdr *sechdrs,
			     const char *shstrtab, const char *strtab,
			     unsigned int symndx, unsigned int secndx,
			     const char *objname)
{
	return klp_section_relocs(pmod, sechdrs, shstrtab, strtab, symndx,
				  secndx, objname, true);
}

/* Clear the object's sections below @end (those written before). */
static void klp_object_relocs_clear(struct klp_patch *patch,
				    struct klp_object *obj, unsigned int end)
{
	const struct klp_modinfo *mi = patch->mod->klp_info;
	const char *symnames = patch->mod->core_kallsyms.strtab;
	unsigned int idx;

	for (idx = 1; idx < end; idx++)
		if (mi->sechdrs[idx].sh_flags & SHF_RELA_LIVEPATCH)
			klp_section_relocs(patch->mod, mi->sechdrs,
					   mi->secstrings, symnames,
					   mi->symndx, idx, obj->name, false);
}

/**
 * klp_object_relocs() - write or clear the .klp.rela sections of an object
 * @patch:	the patch
 * @obj:	one of its module objects
 * @apply:	write (true) or clear (false)
 *
 * A write that fails clears what it wrote: the patch stays loaded, and
 * the object's next load writes the sections again (x86_64 writes only
 * over zeroes).
 *
 * Context: klp_mutex.
 * Return: 0 or a negative errno.
 */
int klp_object_relocs(struct klp_patch *patch, struct klp_object *obj,
		      bool apply)
{
	const struct klp_modinfo *mi = patch->mod->klp_info;
	const char *symnames = patch->mod->core_kallsyms.strtab;
	unsigned int idx;
	int err;

	if (!apply) {
		klp_object_relocs_clear(patch, obj, mi->hdr.e_shnum);
		return 0;
	}
	/* Section 0 is the ELF null section. */
	for (idx = 1; idx < mi->hdr.e_shnum; idx++) {
		if (!(mi->sechdrs[idx].sh_flags & SHF_RELA_LIVEPATCH))
			continue;
		err = klp_section_relocs(patch->mod, mi->sechdrs,
					 mi->secstrings, symnames, mi->symndx,
					 idx, obj->name, true);
		if (err) {
			klp_object_relocs_clear(patch, obj, idx);
			return err;
		}
	}
	return 0;
}

/**
 * klp_check_finalised() - refuse a patch module left with placeholders
 * @pmod:	the live patch module
 *
 * A module built with <linux/klp-extern.h> but never given to
 * "objtool-ext klp-post-link" still has its placeholder symbols,
 * undefined and weak: the loader took them as 0, and the new code would
 * call or read address 0.
 *
 * Return: 0, or -EINVAL after an error line naming the first one.
 */
int klp_check_finalised(struct module *pmod)
{
	const struct mod_kallsyms *ks = &pmod->core_kallsyms;
	unsigned int i;

	for (i = 0; i < ks->num_symtab; i++) {
		const Elf_Sym *sym = &ks->symtab[i];
		const char *name = ks->strtab + sym->st_name;

		if (sym->st_shndx == SHN_UNDEF &&
		    str_has_prefix(name, KLP_EXT_PREFIX)) {
			pr_err("module %s was not finalised: placeholder %s left (objtool-ext klp-post-link)\n",
			       pmod->name, name);
			return -EINVAL;
		}
	}
	return 0;
}
