// SPDX-License-Identifier: GPL-2.0
/*
 * orc.c - x86_64: every function that can be on a stack has ORC data
 *
 * Upstream objtool already validates x86_64 stack frames and writes the
 * ORC tables (.orc_unwind_ip: where each entry starts, .orc_unwind: the
 * entries). What it does not promise is that every function is covered:
 * an object built without objtool, or code outside its view, has no
 * entries, and the ORC unwinder cannot unwind through it. The rule here:
 * the entry in effect at a function's first instruction (the last one at
 * or before it, in the same section) exists and is not "undefined".
 *
 * In a relocatable object the table's positions are relocations; in a
 * linked one they are 32-bit offsets relative to their own slot.
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objtool-ext.h"

#define ORC_ENTRY_SIZE		6
#define ORC_TYPE_UNDEFINED	0

struct orc_ip {
	size_t sec;
	uint64_t off;
	uint8_t type;
};

static int cmp_ip(const void *a, const void *b)
{
	const struct orc_ip *x = a, *y = b;

	if (x->sec != y->sec)
		return x->sec < y->sec ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

static int find_section(const struct objfile *obj, const char *name)
{
	size_t i;

	for (i = 0; i < obj->nr_secs; i++)
		if (!strcmp(obj->secs[i].name, name))
			return (int)i;
	return -1;
}

/* The section that holds address @addr of a linked object. */
static size_t section_of(const struct objfile *obj, uint64_t addr)
{
	size_t i;

	for (i = 1; i < obj->nr_secs; i++) {
		const struct section *s = &obj->secs[i];

		if ((s->flags & SHF_EXECINSTR) && addr >= s->addr &&
		    addr - s->addr < s->size)
			return i;
	}
	return 0;
}

static uint8_t entry_type(const struct section *orc, size_t i)
{
	const uint8_t *e = orc->data + i * ORC_ENTRY_SIZE;
	uint16_t bits = (uint16_t)(e[4] | e[5] << 8);

	/* sp_reg:4, bp_reg:4, type:3, signal:1 (little endian). */
	return (bits >> 8) & 7;
}

int check_orc(struct objfile *obj, struct report *rep, size_t *nr_funcs,
	      char *why, size_t len)
{
	int ips_idx = find_section(obj, ".orc_unwind_ip");
	int orc_idx = find_section(obj, ".orc_unwind");
	const struct section *ips, *orc;
	struct orc_ip *tab = NULL;
	size_t n = 0, i, funcs = 0;

	if (ips_idx < 0 || orc_idx < 0) {
		ips = orc = NULL;
	} else {
		ips = &obj->secs[ips_idx];
		orc = &obj->secs[orc_idx];
		if (!ips->data || !orc->data || ips->size % 4 ||
		    orc->size / ORC_ENTRY_SIZE != ips->size / 4 ||
		    orc->size % ORC_ENTRY_SIZE) {
			snprintf(why, len, "ORC tables of inconsistent sizes");
			return -1;
		}
		n = ips->size / 4;
		tab = calloc(n ? n : 1, sizeof(*tab));
		if (!tab) {
			snprintf(why, len, "out of memory");
			return -1;
		}
		for (i = 0; i < n; i++) {
			tab[i].type = entry_type(orc, i);
			if (obj->relocatable) {
				const struct reloc *r =
					obj_reloc_at(obj, ips_idx, i * 4, 4);
				const struct symbol *s;

				if (!r)
					continue;	/* sec 0: matches nothing */
				s = &obj->syms[r->sym];
				tab[i].sec = s->sec;
				tab[i].off = s->value + r->addend;
			} else {
				int32_t rel;
				uint64_t addr;

				memcpy(&rel, ips->data + i * 4, 4);
				addr = ips->addr + i * 4 + (int64_t)rel;
				tab[i].sec = section_of(obj, addr);
				tab[i].off = tab[i].sec ?
					     addr - obj->secs[tab[i].sec].addr : 0;
			}
		}
		qsort(tab, n, sizeof(*tab), cmp_ip);
	}

	for (i = 0; i < obj->nr_syms; i++) {
		const struct symbol *s = &obj->syms[i];
		const struct section *sec;
		uint64_t off;
		size_t lo = 0, hi = n;
		const struct orc_ip *cover = NULL;

		if (s->type != STT_FUNC || !s->size || !s->sec)
			continue;
		sec = &obj->secs[s->sec];
		if (!(sec->flags & SHF_EXECINSTR))
			continue;
		off = obj->relocatable ? s->value : s->value - sec->addr;
		funcs++;
		/* The last entry at or before off in this section. */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (tab[mid].sec < s->sec ||
			    (tab[mid].sec == s->sec && tab[mid].off <= off))
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo && tab[lo - 1].sec == s->sec)
			cover = &tab[lo - 1];
		if (!cover)
			report_finding(rep, obj->path, s->name, 0, RULE_NO_ORC,
				       "no ORC entry covers the function");
		else if (cover->type == ORC_TYPE_UNDEFINED)
			report_finding(rep, obj->path, s->name, 0, RULE_NO_ORC,
				       "the ORC entry at the function is undefined");
	}
	free(tab);
	*nr_funcs = funcs;
	return 0;
}
