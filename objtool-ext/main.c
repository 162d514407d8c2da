// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - objtool-ext's command line
 *
 *   objtool-ext check [--allow FILE] [--stats] FILE...
 *   objtool-ext klp-post-link [-o OUT] MODULE.ko
 *
 * check: one line per finding, "FILE: FUNCTION+0xOFFSET: RULE: message".
 * Exit status 0 when clean, 1 with findings, 2 when an input could not be
 * read or understood (after checking the others). klp-post-link: see
 * klp.c; 1 when the module uses a placeholder in a way livepatch cannot
 * apply, 2 on an input it cannot read.
 */
#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objtool-ext.h"

struct finding {
	char *file;
	char *func;
	uint64_t off;
	enum rule rule;
	char *msg;
};

struct allow {
	char *func;
	char *rule;
	char *reason;
	int line;
	size_t used;
};

struct report {
	struct finding *f;
	size_t nr, cap;
	size_t unknown;
	bool oom;
};

void report_unknown(struct report *rep, size_t n)
{
	rep->unknown += n;
}

void report_finding(struct report *rep, const char *file, const char *func,
		    uint64_t off, enum rule rule, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (rep->nr == rep->cap) {
		size_t cap = rep->cap ? rep->cap * 2 : 64;
		struct finding *more = realloc(rep->f, cap * sizeof(*more));

		if (!more) {
			rep->oom = true;
			return;
		}
		rep->f = more;
		rep->cap = cap;
	}
	rep->f[rep->nr++] = (struct finding){
		.file = strdup(file), .func = strdup(func), .off = off,
		.rule = rule, .msg = strdup(msg),
	};
}

static void print_usage(FILE *out)
{
	fprintf(out,
		"usage: objtool-ext check [--allow FILE] [--stats] FILE...\n"
		"       objtool-ext klp-post-link [-o OUT] MODULE.ko\n"
		"  FILE: an object, vmlinux.o, vmlinux or a module (.ko) of\n"
		"  arm64, ppc64le, s390x or x86_64; MODULE.ko: a live patch\n"
		"  module to finalise (in place, or into OUT)\n");
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == '\n' || e[-1] == ' ' || e[-1] == '\t' ||
			 e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* Read the allow file: "FUNCTION RULE reason...", '#' comments. */
static int read_allow(const char *path, struct allow **out, size_t *nr)
{
	FILE *f = fopen(path, "r");
	char buf[1024];
	int line = 0;
	size_t cap = 0;

	*out = NULL;
	*nr = 0;
	if (!f) {
		fprintf(stderr, "objtool-ext: %s: cannot open the allow file\n",
			path);
		return -1;
	}
	while (fgets(buf, sizeof(buf), f)) {
		char *s = trim(buf), *func, *rule, *reason;

		line++;
		if (!*s || *s == '#')
			continue;
		func = strtok(s, " \t");
		rule = strtok(NULL, " \t");
		reason = strtok(NULL, "");
		if (*nr == cap) {
			struct allow *more;

			cap = cap ? cap * 2 : 32;
			more = realloc(*out, cap * sizeof(*more));
			if (!more) {
				fclose(f);
				return -1;
			}
			*out = more;
		}
		(*out)[(*nr)++] = (struct allow){
			.func = strdup(func), .rule = strdup(rule ? rule : ""),
			.reason = reason ? strdup(trim(reason)) : NULL,
			.line = line,
		};
	}
	fclose(f);
	return 0;
}

static struct allow *allowed(struct allow *al, size_t nr,
			     const struct finding *f)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (al[i].reason && *al[i].reason &&
		    !strcmp(al[i].func, f->func) &&
		    !strcmp(al[i].rule, rule_names[f->rule]))
			return &al[i];
	return NULL;
}

static int check_file(const char *path, struct report *rep, size_t *funcs)
{
	struct objfile obj;
	char why[256];
	size_t n = 0;
	int ret;

	if (obj_open(&obj, path, why, sizeof(why))) {
		fprintf(stderr, "objtool-ext: %s: %s\n", path, why);
		return -1;
	}
	if (obj.machine == EM_X86_64)
		ret = check_orc(&obj, rep, &n, why, sizeof(why));
	else
		ret = check_object(&obj, rep, &n, why, sizeof(why));
	if (ret)
		fprintf(stderr, "objtool-ext: %s: %s\n", path, why);
	*funcs += n;
	obj_close(&obj);
	return ret;
}

int main(int argc, char **argv)
{
	const char *allow_path = NULL;
	struct report rep = { 0 };
	struct allow *al = NULL;
	size_t nr_al = 0, funcs = 0, shown = 0, nr_allowed = 0, i;
	size_t per_rule[NR_RULES] = { 0 };
	bool stats = false, bad_input = false;
	int argi = 2, nfiles = 0;

	if (argc >= 2 && !strcmp(argv[1], "klp-post-link")) {
		if (argc == 3 && argv[2][0] != '-')
			return klp_post_link(argv[2], argv[2]);
		if (argc == 5 && !strcmp(argv[2], "-o"))
			return klp_post_link(argv[4], argv[3]);
		print_usage(stderr);
		return EXIT_BADINPUT;
	}
	if (argc < 2 || strcmp(argv[1], "check")) {
		bool help = argc >= 2 && !strcmp(argv[1], "--help");

		print_usage(help ? stdout : stderr);
		return help ? EXIT_CLEAN : EXIT_BADINPUT;
	}
	for (; argi < argc && argv[argi][0] == '-'; argi++) {
		if (!strcmp(argv[argi], "--")) {
			argi++;
			break;
		}
		if (!strcmp(argv[argi], "--stats")) {
			stats = true;
		} else if (!strcmp(argv[argi], "--allow") && argi + 1 < argc) {
			allow_path = argv[++argi];
		} else {
			print_usage(stderr);
			return EXIT_BADINPUT;
		}
	}
	if (argi >= argc) {
		print_usage(stderr);
		return EXIT_BADINPUT;
	}
	if (allow_path && read_allow(allow_path, &al, &nr_al))
		return EXIT_BADINPUT;

	for (; argi < argc; argi++, nfiles++)
		if (check_file(argv[argi], &rep, &funcs))
			bad_input = true;
	if (rep.oom) {
		fprintf(stderr, "objtool-ext: out of memory\n");
		return EXIT_BADINPUT;
	}

	for (i = 0; i < rep.nr; i++) {
		struct finding *f = &rep.f[i];
		struct allow *a = allowed(al, nr_al, f);

		if (a) {
			a->used++;
			nr_allowed++;
			continue;
		}
		printf("%s: %s+0x%llx: %s: %s\n", f->file, f->func,
		       (unsigned long long)f->off, rule_names[f->rule], f->msg);
		per_rule[f->rule]++;
		shown++;
	}
	for (i = 0; i < nr_al; i++) {
		if (!al[i].reason || !*al[i].reason) {
			printf("%s:%d: %s: allow-entry: entry without a reason\n",
			       allow_path, al[i].line, al[i].func);
			shown++;
		} else if (!al[i].used) {
			printf("%s:%d: %s: allow-entry: '%s' matches no finding\n",
			       allow_path, al[i].line, al[i].func, al[i].rule);
			shown++;
		}
	}
	if (stats) {
		printf("objtool-ext: %d files, %zu functions checked, %zu findings, %zu allowed\n",
		       nfiles, funcs, shown, nr_allowed);
		if (rep.unknown)
			printf("objtool-ext: %zu instructions unknown to the disassembler, taken as not touching the frame\n",
			       rep.unknown);
		for (i = 0; i < NR_RULES; i++)
			if (per_rule[i])
				printf("objtool-ext:   %-20s %zu\n", rule_names[i],
				       per_rule[i]);
	}

	for (i = 0; i < rep.nr; i++) {
		free(rep.f[i].file);
		free(rep.f[i].func);
		free(rep.f[i].msg);
	}
	free(rep.f);
	for (i = 0; i < nr_al; i++) {
		free(al[i].func);
		free(al[i].rule);
		free(al[i].reason);
	}
	free(al);

	if (bad_input)
		return EXIT_BADINPUT;
	return shown ? EXIT_FINDINGS : EXIT_CLEAN;
}
