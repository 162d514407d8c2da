/* SPDX-License-Identifier: GPL-2.0 */
/*
 * internal.h - what the files of the klpcore core share
 *
 * Locking, once for all files:
 *
 * klp_mutex serializes every change of klpcore's data: the list of
 * patches, their objects and functions, the implementation stacks of the
 * patched sites, and the transition (its patch, its goal, the per-task
 * patch_state of other tasks). Six paths read without it, each argued
 * where it is written:
 *
 *   klp_ftrace_handler()        - RCU-sched reader of a site's stack
 *   klp_update_patch_state()    - switches current (or a task that cannot
 *                                 run) by its TIF flag
 *   __klp_sched_try_switch(),
 *   klp_exit_probe()            - switch current with preemption off
 *   klp_proc_patch_blocker(),
 *   klp_diag_pending()          - RCU and READ_ONCE() readers
 *   klp_shadow_*()              - own spinlock and RCU
 */
#ifndef _KLPCORE_INTERNAL_H
#define _KLPCORE_INTERNAL_H

#include <linux/livepatch.h>
#include <linux/list.h>
#include <linux/mutex.h>

extern struct mutex klp_mutex;

/* Patches that are enabled or in transition, oldest first. */
extern struct list_head klp_patches;

#define klp_for_each_patch(patch) \
	list_for_each_entry(patch, &klp_patches, list)

/*
 * The static arrays of a patch end with an all-zero entry; these say
 * whether an entry is that terminator.
 */
static inline bool klp_obj_is_end(const struct klp_object *obj)
{
	return !obj->name && !obj->funcs;
}

static inline bool klp_func_is_end(const struct klp_func *func)
{
	return !func->old_name && !func->new_func && !func->old_sympos;
}

static inline const char *klp_obj_name(const struct klp_object *obj)
{
	return obj->name ? obj->name : "vmlinux";
}

/* vmlinux is always there; a module object is there when its module is. */
static inline bool klp_obj_loaded(const struct klp_object *obj)
{
	return !obj->name || obj->mod;
}

/* Why a task may not switch yet (transition.c); KLP_GO: it may. */
enum klp_hold {
	KLP_GO,			/* nothing of the set on its stack */
	KLP_HOLD_RUNNING,	/* on another CPU: its stack is moving */
	KLP_HOLD_UNRELIABLE,	/* the walk could not vouch for the stack */
	KLP_HOLD_IN_USE,	/* a function it would leave is on its stack */
	KLP_HOLD_STALE,		/* the table seen is not the goal's (yet) */
};

/* main.c - the life of a patch */
void klp_release_patch(struct klp_patch *patch);
void klp_release_replaced(struct klp_patch *keep);
void klp_retire_replaced(struct klp_patch *new_patch);
int klp_cb_pre_patch(struct klp_object *obj);
void klp_cb_post_patch(struct klp_object *obj);
void klp_cb_pre_unpatch(struct klp_object *obj);
void klp_cb_post_unpatch(struct klp_object *obj);

/* sysfs.c - /sys/kernel/livepatch */
extern struct kobject *klp_sysfs_root;
extern const struct kobj_type klp_patch_ktype;
extern const struct kobj_type klp_object_ktype;
extern const struct kobj_type klp_func_ktype;
int klp_disable_patch_locked(struct klp_patch *patch);

/* relocs.c - symbols and .klp.rela sections */
int klp_lookup_symbol(const char *objname, const char *name,
		      unsigned long sympos, unsigned long *addr);
int klp_object_relocs(struct klp_patch *patch, struct klp_object *obj,
		      bool apply);
int klp_check_finalised(struct module *pmod);

/* redirect.c - patched sites and their implementation stacks */
int klp_redirect_object(struct klp_object *obj);
void klp_restore_object(struct klp_object *obj, bool nops_only);
void klp_restore_patch(struct klp_patch *patch, bool nops_only);
struct klp_func *klp_func_below(struct klp_func *func);
void klp_leaving_range(struct klp_func *func, int goal,
		       unsigned long *start, unsigned long *size);

/* transition.c - moving tasks from one universe to the other */
extern struct klp_patch *klp_transition_patch;
void klp_transition_prepare(struct klp_patch *patch, int goal);
void klp_transition_start(void);
void klp_transition_try_finish(void);
void klp_transition_cancel(void);
void klp_transition_reverse(void);
void klp_transition_force(void);
void klp_transition_refresh(void);
void klp_sync_cpus(void);
int klp_transition_init(void);

/* diag.c - what holds a transition up */
void klp_diag_start(void);
void klp_diag_round_begin(int goal);
void klp_diag_record(struct task_struct *task, enum klp_hold hold,
		     unsigned long addr);
void klp_diag_round_end(struct klp_patch *patch, unsigned long waited);
void klp_diag_finish(void);
unsigned int klp_diag_pending(struct klp_patch *patch);

/* state.c - system states */
bool klp_states_compatible(struct klp_patch *patch);

/*
 * Internals that the KUnit suites (core/kunit.c) call directly; static
 * when KUnit is off (VISIBLE_IF_KUNIT).
 */
struct klp_span {
	unsigned long start;
	unsigned long end;
	const char *name;
};

struct klp_spans {
	struct rcu_head rcu;
	int goal;		/* the transition goal it was built for */
	unsigned int nr;
	struct klp_span span[];
};

/* What a walk found: the code to leave it hit, and the last address. */
struct klp_hit {
	const char *name;
	unsigned long addr;
};

#if IS_ENABLED(CONFIG_KUNIT)
int klp_blocker_text(char *buf, size_t size, enum klp_hold hold,
		     unsigned long addr);
bool klp_stall_due(unsigned long waited, unsigned long last,
		   unsigned int secs);
int klp_redirect_func(struct klp_func *func);
void klp_restore_func(struct klp_func *func);
struct klp_spans *klp_spans_build(struct klp_patch *patch, int goal);
const struct klp_span *klp_spans_find(const struct klp_spans *spans,
				      unsigned long addr);
enum klp_hold klp_may_leave(struct task_struct *task,
			    const struct klp_spans *spans, int goal,
			    struct klp_hit *hit);
bool klp_state_compatible(struct klp_patch *patch, struct klp_state *old);
bool klp_want_cond_resched_point(unsigned long waited, bool busy);
unsigned long klp_retry_delay(unsigned int rounds);
#endif

#endif /* _KLPCORE_INTERNAL_H */
