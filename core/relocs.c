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

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/elf.h>
#include <linux/kallsyms.h>
#include <linux/module.h>
#include <linux/moduleloader.h>
#include <linux/string.h>

#include "internal.h"

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

	if (objname)
		module_kallsyms_on_each_symbol(objname, klp_sym_match_named, &s);
	else
		kallsyms_on_each_match_symbol(klp_sym_match, name, &s);

	*addr = 0;
	if (!s.count) {
		pr_err("symbol '%s' not found in symbol table\n", name);
	} else if (!sympos && s.count > 1) {
		pr_err("unresolvable ambiguity for symbol '%s' in object '%s'\n",
		       name, objname ? objname : "vmlinux");
	} else if (sympos && s.count != sympos) {
		pr_err("symbol position %lu for symbol '%s' in object '%s' not found\n",
		       sympos, name, objname ? objname : "vmlinux");
	} else {
		*addr = s.addr;
		return 0;
	}
	return -EINVAL;
}

/* Give every .klp.sym symbol of a relocation section its address. */
static int klp_resolve_section(Elf_Shdr *sechdrs, const char *strtab,
			       unsigned int symndx, Elf_Shdr *relasec,
			       const char *sec_objname)
{
	char objname[KLP_OBJNAME_MAX + 1], symname[KLP_SYMNAME_MAX + 1];
	bool sec_vmlinux = !strcmp(sec_objname, "vmlinux");
	Elf_Rela *rela = (Elf_Rela *)relasec->sh_addr;
	unsigned int i, n = relasec->sh_size / sizeof(*rela);
	unsigned long sympos, addr;
	Elf_Sym *sym;
	int ret;

	/* The widths in the format must fit the kernel's name limits. */
	BUILD_BUG_ON(KLP_OBJNAME_MAX + 1 > MODULE_NAME_LEN ||
		     KLP_SYMNAME_MAX + 1 != KSYM_NAME_LEN);

	for (i = 0; i < n; i++) {
		const char *symstr;

		sym = (Elf_Sym *)sechdrs[symndx].sh_addr +
		      ELF_R_SYM(rela[i].r_info);
		symstr = strtab + sym->st_name;

		if (sym->st_shndx != SHN_LIVEPATCH) {
			pr_err("symbol %s is not marked as a livepatch symbol\n",
			       symstr);
			return -EINVAL;
		}
		if (sscanf(symstr, ".klp.sym.%55[^.].%511[^,],%lu",
			   objname, symname, &sympos) != 3) {
			pr_err("symbol %s has an incorrectly formatted name\n",
			       symstr);
			return -EINVAL;
		}

		/*
		 * A module's section must not reach into vmlinux: it is
		 * written late, after the patch module's own special sections
		 * were set up with the vmlinux symbols they need.
		 */
		if (!sec_vmlinux && !strcmp(objname, "vmlinux")) {
			pr_err("invalid access to vmlinux symbol '%s' from module-specific livepatch relocation section\n",
			       symname);
			return -EINVAL;
		}

		ret = klp_lookup_symbol(strcmp(objname, "vmlinux") ? objname :
					NULL, symname, sympos, &addr);
		if (ret)
			return ret;
		sym->st_value = addr;
	}
	return 0;
}

/* Architectures that can write but not clear relocations. */
void __weak clear_relocate_add(Elf_Shdr *sechdrs, const char *strtab,
			       unsigned int symindex, unsigned int relsec,
			       struct module *me)
{
}

static int klp_section_relocs(struct module *pmod, Elf_Shdr *sechdrs,
			      const char *shstrtab, const char *strtab,
			      unsigned int symndx, unsigned int secndx,
			      const char *objname, bool apply)
{
	char sec_objname[KLP_OBJNAME_MAX + 1];
	Elf_Shdr *sec = sechdrs + secndx;
	int ret;

	if (sscanf(shstrtab + sec->sh_name, ".klp.rela.%55[^.]",
		   sec_objname) != 1) {
		pr_err("section %s has an incorrectly formatted name\n",
		       shstrtab + sec->sh_name);
		return -EINVAL;
	}

	/* Only the sections of the object at hand. */
	if (strcmp(objname ? objname : "vmlinux", sec_objname))
		return 0;

	if (!apply) {
		clear_relocate_add(sechdrs, strtab, symndx, secndx, pmod);
		return 0;
	}

	ret = klp_resolve_section(sechdrs, strtab, symndx, sec, sec_objname);
	if (ret)
		return ret;
	return apply_relocate_add(sechdrs, strtab, symndx, secndx, pmod);
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

/**
 * klp_object_relocs() - write or clear the .klp.rela sections of an object
 * @patch:	the patch
 * @obj:	one of its module objects
 * @apply:	write (true) or clear (false)
 *
 * Context: klp_mutex.
 * Return: 0 or a negative errno.
 */
int klp_object_relocs(struct klp_patch *patch, struct klp_object *obj,
		      bool apply)
{
	struct klp_modinfo *info = patch->mod->klp_info;
	unsigned int i;
	int ret;

	for (i = 1; i < info->hdr.e_shnum; i++) {
		Elf_Shdr *sec = info->sechdrs + i;

		if (!(sec->sh_flags & SHF_RELA_LIVEPATCH))
			continue;
		ret = klp_section_relocs(patch->mod, info->sechdrs,
					 info->secstrings,
					 patch->mod->core_kallsyms.strtab,
					 info->symndx, i, obj->name, apply);
		if (ret)
			return ret;
	}
	return 0;
}
