// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - the life of a patch: checked, set up, enabled, disabled, freed
 *
 * A patch module calls klp_enable_patch() from its init function. The
 * patch is checked whole before anything changes, its objects and
 * functions get their sysfs directories and their addresses, and the
 * transition to the patched universe starts. Objects of modules that are
 * not loaded yet are set up when their module comes (klp_module_coming())
 * and torn down when it goes.
 *
 * Freeing is split in two: the part under klp_mutex unlinks the patch and
 * drops its objects; the rest (dropping the patch's kobject, waiting for
 * its sysfs files to be gone, releasing the module) runs without the
 * mutex, since a sysfs writer may be waiting for the mutex while holding
 * a reference to one of those files.
 */

#define pr_fmt(fmt) "livepatch: " fmt

#include <linux/kallsyms.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "internal.h"
#include "klp_arch.h"

/* Serializes every change of klpcore's data; see internal.h. */
DEFINE_MUTEX(klp_mutex);
/* Patches enabled or in transition, oldest first. klp_mutex. */
LIST_HEAD(klp_patches);

/* Callbacks ---------------------------------------------------------------- */

/*
 * Only an object whose pre-patch callback succeeded (or that has none)
 * gets its post-unpatch callback.
 */
int klp_cb_pre_patch(struct klp_object *obj)
{
	struct klp_callbacks *cb = &obj->callbacks;
	int err = cb->pre_patch ? cb->pre_patch(obj) : 0;

	cb->post_unpatch_enabled = err == 0;
	return err;
}

void klp_cb_post_patch(struct klp_object *obj)
{
	struct klp_callbacks *cb = &obj->callbacks;

	if (cb->post_patch)
		cb->post_patch(obj);
}

void klp_cb_pre_unpatch(struct klp_object *obj)
{
	struct klp_callbacks *cb = &obj->callbacks;

	if (cb->pre_unpatch)
		cb->pre_unpatch(obj);
}

void klp_cb_post_unpatch(struct klp_object *obj)
{
	struct klp_callbacks *cb = &obj->callbacks;
	bool run = cb->post_unpatch_enabled && cb->post_unpatch;

	cb->post_unpatch_enabled = false;
	if (run)
		cb->post_unpatch(obj);
}

/* Checking a patch before anything changes -------------------------------- */

/* old_sympos 0 means "the only one", which is also position 1. */
static bool klp_same_sympos(unsigned long a, unsigned long b)
{
	return a == b || (a <= 1 && b <= 1);
}

static bool klp_same_object(const char *a, const char *b)
{
	if (!a || !b)
		return !a && !b;
	return !strcmp(a, b);
}

static int klp_check_funcs(struct klp_object *obj)
{
	struct klp_func *func, *other;

	for (func = obj->funcs; !klp_func_is_end(func); func++) {
		if (!func->old_name || !func->new_func) {
			pr_err("function entry without %s in object '%s'\n",
			       func->old_name ? "new_func" : "old_name",
			       klp_obj_name(obj));
			return -EINVAL;
		}
		if (strlen(func->old_name) >= KSYM_NAME_LEN) {
			pr_err("function name too long in object '%s'\n",
			       klp_obj_name(obj));
			return -EINVAL;
		}
		for (other = obj->funcs; other != func; other++) {
			if (!strcmp(other->old_name, func->old_name) &&
			    klp_same_sympos(other->old_sympos,
					    func->old_sympos)) {
				pr_err("function '%s' is listed twice in object '%s'\n",
				       func->old_name, klp_obj_name(obj));
				return -EINVAL;
			}
		}
	}
	return 0;
}

/*
 * Everything about a patch that can be checked without looking up a
 * symbol. One error line names the first problem found.
 */
static int klp_check_patch(struct klp_patch *patch)
{
	struct klp_object *obj, *other;
	int ret;

	if (!patch || !patch->mod || !patch->objs) {
		pr_err("invalid patch: no %s\n", !patch ? "patch" :
		       !patch->mod ? "module" : "objects");
		return -EINVAL;
	}
	if (!is_livepatch_module(patch->mod)) {
		pr_err("module %s lacks MODULE_INFO(livepatch, \"Y\")\n",
		       patch->mod->name);
		return -EINVAL;
	}
	ret = klp_check_finalised(patch->mod);
	if (ret)
		return ret;

	for (obj = patch->objs; !klp_obj_is_end(obj); obj++) {
		if (!obj->funcs) {
			pr_err("object '%s' of patch '%s' has no functions\n",
			       klp_obj_name(obj), patch->mod->name);
			return -EINVAL;
		}
		if (obj->name && (strlen(obj->name) >= MODULE_NAME_LEN ||
				  !strcmp(obj->name, "vmlinux"))) {
			pr_err("invalid object name '%s' in patch '%s'\n",
			       obj->name, patch->mod->name);
			return -EINVAL;
		}
		for (other = patch->objs; other != obj; other++) {
			if (klp_same_object(other->name, obj->name)) {
				pr_err("object '%s' is listed twice in patch '%s'\n",
				       klp_obj_name(obj), patch->mod->name);
				return -EINVAL;
			}
		}
		ret = klp_check_funcs(obj);
		if (ret)
			return ret;
	}
	return 0;
}

/* Objects and functions ---------------------------------------------------- */

/* The patch's object for a module (NULL: vmlinux), if it has one. */
static struct klp_object *klp_object_named(struct klp_patch *patch,
					   const char *name)
{
	struct klp_object *obj;

	list_for_each_entry(obj, &patch->obj_list, node)
		if (klp_same_object(obj->name, name))
			return obj;
	return NULL;
}

/* The object's entry for the same symbol as @like, if it has one. */
static struct klp_func *klp_func_like(struct klp_object *obj,
				      struct klp_func *like)
{
	struct klp_func *func;

	list_for_each_entry(func, &obj->func_list, node)
		if (!strcmp(func->old_name, like->old_name) &&
		    klp_same_sympos(func->old_sympos, like->old_sympos))
			return func;
	return NULL;
}

/* Reset the core's fields of an entry and chain it to its parent. */
static void klp_link_func(struct klp_object *obj, struct klp_func *func)
{
	func->patched = false;
	func->transition = false;
	INIT_LIST_HEAD(&func->stack_node);
	kobject_init(&func->kobj, &klp_func_ktype);
	list_add_tail(&func->node, &obj->func_list);
}

static void klp_link_object(struct klp_patch *patch, struct klp_object *obj)
{
	obj->patched = false;
	obj->mod = NULL;
	INIT_LIST_HEAD(&obj->func_list);
	kobject_init(&obj->kobj, &klp_object_ktype);
	list_add_tail(&obj->node, &patch->obj_list);
}

/*
 * A replacing patch gets a no-op entry for every function that an
 * earlier patch changes and it does not: the no-op runs the original
 * code, so the replace undoes what it leaves out.
 */
static int klp_add_noops_for(struct klp_patch *patch,
			     struct klp_object *theirs)
{
	struct klp_object *mine = klp_object_named(patch, theirs->name);
	struct klp_func *old_func, *nop;

	if (!mine) {
		mine = kzalloc(sizeof(*mine), GFP_KERNEL);
		if (!mine)
			return -ENOMEM;
		if (theirs->name) {
			mine->name = kstrdup(theirs->name, GFP_KERNEL);
			if (!mine->name) {
				kfree(mine);
				return -ENOMEM;
			}
		}
		klp_link_object(patch, mine);
		mine->dynamic = true;
	}

	list_for_each_entry(old_func, &theirs->func_list, node) {
		if (klp_func_like(mine, old_func))
			continue;
		nop = kzalloc(sizeof(*nop), GFP_KERNEL);
		if (!nop)
			return -ENOMEM;
		nop->old_name = kstrdup(old_func->old_name, GFP_KERNEL);
		if (!nop->old_name) {
			kfree(nop);
			return -ENOMEM;
		}
		nop->old_sympos = old_func->old_sympos;
		nop->nop = true;	/* new_func = old_func once resolved */
		klp_link_func(mine, nop);
	}
	return 0;
}

static int klp_add_noops(struct klp_patch *patch)
{
	struct klp_object *theirs;
	struct klp_patch *older;
	int err;

	klp_for_each_patch(older) {
		list_for_each_entry(theirs, &older->obj_list, node) {
			err = klp_add_noops_for(patch, theirs);
			if (err)
				return err;
		}
	}
	return 0;
}

/* Resolve what needs the object's code: relocations, addresses, sizes. */
static int klp_object_init_loaded(struct klp_patch *patch,
				  struct klp_object *obj)
{
	struct klp_func *func;
	unsigned long addr;
	int err;

	/* vmlinux relocations were written when the patch module loaded. */
	if (obj->name) {
		err = klp_object_relocs(patch, obj, true);
		if (err)
			return err;
	}

	list_for_each_entry(func, &obj->func_list, node) {
		err = klp_lookup_symbol(obj->name, func->old_name,
					func->old_sympos, &addr);
		if (err)
			goto clear;
		func->old_func = (void *)addr;
		/* A no-op's "new" code is the original. */
		func->new_func = func->nop ? func->old_func : func->new_func;

		if (!kallsyms_lookup_size_offset(addr, &func->old_size, NULL) ||
		    !kallsyms_lookup_size_offset((unsigned long)func->new_func,
						 &func->new_size, NULL)) {
			pr_err("size of '%s' or of its replacement unknown to kallsyms\n",
			       func->old_name);
			err = -ENOENT;
			goto clear;
		}
	}
	return 0;

clear:
	/* The patch stays: the object's next load writes them again. */
	if (obj->name)
		klp_object_relocs(patch, obj, false);
	return err;
}

/* The object's module left: forget what pointed into it. */
static void klp_object_forget_module(struct klp_object *obj)
{
	struct klp_func *func;

	obj->mod = NULL;
	list_for_each_entry(func, &obj->func_list, node) {
		func->old_func = NULL;
		if (func->nop)
			func->new_func = NULL;
	}
}

/*
 * The object's module, if it is loaded and known to the live patching
 * code. No reference is taken: klp_module_going() tears the object down
 * before the module goes away.
 */
static void klp_object_find_module(struct klp_object *obj)
{
	struct module *mod;

	if (!obj->name)
		return;
	/* find_module() wants preemption off (or module_mutex). */
	guard(preempt)();
	mod = find_module(obj->name);
	/*
	 * klp_alive is set by klp_module_coming() and cleared by
	 * klp_module_going(), both under klp_mutex: a module between the
	 * two is one this object must patch.
	 */
	obj->mod = mod && mod->klp_alive ? mod : NULL;
}

static int klp_object_init(struct klp_patch *patch, struct klp_object *obj)
{
	struct klp_func *func;
	int err;

	klp_object_find_module(obj);

	err = kobject_add(&obj->kobj, &patch->kobj, "%s", klp_obj_name(obj));
	if (err)
		return err;

	list_for_each_entry(func, &obj->func_list, node) {
		/* sysfs names a unique symbol as position 1 */
		err = kobject_add(&func->kobj, &obj->kobj, "%s,%lu",
				  func->old_name, max(func->old_sympos, 1UL));
		if (err)
			return err;
	}

	if (klp_obj_loaded(obj))
		return klp_object_init_loaded(patch, obj);
	return 0;
}

static void klp_free_funcs(struct klp_object *obj, bool only_noops)
{
	struct klp_func *func, *tmp;

	list_for_each_entry_safe(func, tmp, &obj->func_list, node) {
		if (only_noops && !func->nop)
			continue;
		list_del(&func->node);
		kobject_put(&func->kobj);	/* frees a nop */
	}
}

static void klp_free_objects(struct klp_patch *patch, bool dynamic_only)
{
	struct klp_object *obj, *tmp;

	list_for_each_entry_safe(obj, tmp, &patch->obj_list, node) {
		klp_free_funcs(obj, dynamic_only);
		if (dynamic_only && !obj->dynamic)
			continue;
		list_del(&obj->node);
		kobject_put(&obj->kobj);	/* frees a dynamic object */
	}
}

/* Patches -------------------------------------------------------------------- */

/* Teardown, part one: under klp_mutex. */
static void klp_patch_free_locked(struct klp_patch *patch)
{
	list_del_init(&patch->list);	/* on klp_patches or on its own */
	klp_free_objects(patch, false);
}

/* Teardown, part two: without klp_mutex, the last access to the patch. */
static void klp_patch_free_final(struct klp_patch *patch)
{
	kobject_put(&patch->kobj);
	wait_for_completion(&patch->finish);
	/* A forced patch's code may still run: keep its module. */
	if (patch->forced)
		return;
	/*
	 * A task the handler sent to this patch's code may have been
	 * preempted before it got there, in the handler's epilogue or the
	 * ftrace trampoline: its stack showed only the patched function,
	 * so it switched, and klp_sync_cpus() does not wait for a task that
	 * is not running. RCU-tasks waits until every task has left such
	 * code through a voluntary switch (partner: the handler's
	 * klp_arch_set_pc() in redirect.c; Documentation/design.rst).
	 */
	synchronize_rcu_tasks();
	module_put(patch->mod);
}

static void klp_patch_free_work(struct work_struct *work)
{
	klp_patch_free_final(container_of(work, struct klp_patch, free_work));
}

/**
 * klp_release_patch() - free a patch that left, from a safe context
 * @patch:	a patch no task uses any more
 *
 * The patch may be released from its own sysfs file's store method, so
 * the final part runs from a work item. Context: klp_mutex.
 */
void klp_release_patch(struct klp_patch *patch)
{
	klp_patch_free_locked(patch);
	schedule_work(&patch->free_work);
}

/**
 * klp_release_replaced() - free the patches that a replace made obsolete
 * @keep:	the replacing patch, which stays
 *
 * Context: klp_mutex.
 */
void klp_release_replaced(struct klp_patch *keep)
{
	struct klp_patch *patch, *next;

	list_for_each_entry_safe(patch, next, &klp_patches, list) {
		if (patch == keep)
			return;
		klp_release_patch(patch);
	}
}

/**
 * klp_retire_replaced() - finish an atomic replace
 * @new_patch:	the replacing patch, now used by every task
 *
 * Every task runs @new_patch's code or, through its no-op entries, the
 * original code: the older patches leave their sites, and then the no-ops
 * leave too, which hands those sites back to ftrace. Forced transitions
 * may leave a task in an older patch's code; its module is then kept
 * (patch->forced). Context: klp_mutex.
 */
void klp_retire_replaced(struct klp_patch *new_patch)
{
	struct klp_patch *older;

	list_for_each_entry(older, &klp_patches, list) {
		if (older == new_patch)
			break;
		older->enabled = false;
		klp_restore_patch(older, false);
	}
	klp_restore_patch(new_patch, true);
	klp_free_objects(new_patch, true);
}

static void klp_patch_init_early(struct klp_patch *patch)
{
	struct klp_object *obj;
	struct klp_func *func;

	patch->enabled = false;
	patch->forced = false;
	INIT_LIST_HEAD(&patch->list);
	INIT_LIST_HEAD(&patch->obj_list);
	kobject_init(&patch->kobj, &klp_patch_ktype);
	INIT_WORK(&patch->free_work, klp_patch_free_work);
	init_completion(&patch->finish);

	for (obj = patch->objs; !klp_obj_is_end(obj); obj++) {
		obj->dynamic = false;
		klp_link_object(patch, obj);
		for (func = obj->funcs; !klp_func_is_end(func); func++) {
			func->nop = false;
			klp_link_func(obj, func);
		}
	}
}

static int klp_patch_init(struct klp_patch *patch)
{
	const char *name = patch->mod->name;
	struct klp_object *obj;
	int err;

	err = kobject_add(&patch->kobj, klp_sysfs_root, "%s", name);
	if (!err && patch->replace)
		err = klp_add_noops(patch);
	if (err)
		return err;

	list_for_each_entry(obj, &patch->obj_list, node) {
		err = klp_object_init(patch, obj);
		if (err)
			return err;
	}

	list_add_tail(&patch->list, &klp_patches);
	return 0;
}

static int klp_enable_locked(struct klp_patch *patch)
{
	const char *name = patch->mod->name;
	struct klp_object *obj;
	int err;

	if (klp_transition_patch)
		return -EBUSY;
	if (WARN_ON_ONCE(patch->enabled))
		return -EINVAL;

	pr_notice("enabling patch '%s'\n", name);

	klp_transition_prepare(patch, KLP_TRANSITION_PATCHED);

	/*
	 * Pair (C) of transition.c: func->transition, set by the prepare
	 * step, before the functions become visible on their sites.
	 */
	smp_wmb();

	list_for_each_entry(obj, &patch->obj_list, node) {
		if (!klp_obj_loaded(obj))
			continue;

		/* These lines are checked by the kernel's selftests. */
		err = klp_cb_pre_patch(obj);
		if (err) {
			pr_warn("pre-patch callback failed for object '%s'\n",
				klp_obj_name(obj));
			goto fail;
		}
		err = klp_redirect_object(obj);
		if (err) {
			pr_warn("failed to patch object '%s'\n",
				klp_obj_name(obj));
			goto fail;
		}
	}

	klp_transition_start();
	patch->enabled = true;
	klp_transition_try_finish();
	return 0;

fail:
	pr_warn("failed to enable patch '%s'\n", name);
	klp_transition_cancel();
	return err;
}

/**
 * klp_disable_patch_locked() - start removing an enabled patch
 * @patch:	an enabled patch, not in transition
 *
 * Return: 0, or -EBUSY while another patch is in transition.
 * Context: klp_mutex.
 */
int klp_disable_patch_locked(struct klp_patch *patch)
{
	struct klp_object *obj;

	if (WARN_ON_ONCE(!patch->enabled))
		return -EINVAL;
	if (klp_transition_patch)
		return -EBUSY;

	klp_transition_prepare(patch, KLP_TRANSITION_UNPATCHED);

	list_for_each_entry(obj, &patch->obj_list, node)
		if (obj->patched)
			klp_cb_pre_unpatch(obj);

	/*
	 * Pair (C) of transition.c: func->transition before the TIF flags,
	 * so a task that switches early and then enters a patched function
	 * sees the flag.
	 */
	smp_wmb();

	klp_transition_start();
	patch->enabled = false;
	klp_transition_try_finish();
	return 0;
}

/**
 * klp_enable_patch() - set up a live patch and start applying it
 * @patch:	the patch, usually a static structure of the calling module
 *
 * Checks the patch whole, creates its sysfs directory, resolves the
 * functions of the objects that are loaded, writes the relocations of
 * loaded modules, puts the new functions on their ftrace sites and starts
 * the transition of every task to the patched universe. A patch that
 * fails any step is refused whole: nothing of it stays patched.
 *
 * Context: the init function of the live patch module; may sleep.
 * Return: 0 on success; -EINVAL for a malformed patch, an unknown or
 * ambiguous symbol or a patch that is incompatible with the installed
 * system states; -ENOENT when a symbol's size is unknown; -EBUSY while
 * another patch is in transition; -ENODEV when live patching is not
 * initialized; -ENOMEM.
 */
int klp_enable_patch(struct klp_patch *patch)
{
	int err;

	err = klp_check_patch(patch);
	if (err)
		return err;

	if (!klp_sysfs_root)
		return -ENODEV;

	mutex_lock(&klp_mutex);

	if (!klp_states_compatible(patch)) {
		/* This line is checked by the kernel's selftests. */
		pr_err("Livepatch patch (%s) is not compatible with the already installed livepatches.\n",
		       patch->mod->name);
		err = -EINVAL;
		goto unlock;
	}
	/* The module must not go while its patch is set up. */
	err = try_module_get(patch->mod) ? 0 : -ENODEV;
	if (err)
		goto unlock;

	klp_patch_init_early(patch);
	err = klp_patch_init(patch);
	if (!err)
		err = klp_enable_locked(patch);
	if (err) {
		klp_patch_free_locked(patch);
		mutex_unlock(&klp_mutex);
		klp_patch_free_final(patch);
		return err;
	}
unlock:
	mutex_unlock(&klp_mutex);
	return err;
}
EXPORT_SYMBOL_GPL(klp_enable_patch);

/* Modules that come and go ------------------------------------------------- */

/* Undo the objects for mod of every patch older than limit (all if NULL). */
static void klp_module_teardown(struct module *mod, struct klp_patch *limit)
{
	struct klp_patch *patch;
	struct klp_object *obj;

	klp_for_each_patch(patch) {
		bool moving = patch == klp_transition_patch;

		if (patch == limit)
			break;
		obj = klp_object_named(patch, mod->name);
		if (!obj || !obj->mod)
			continue;

		/* In transition, the pre-unpatch callback came at its start. */
		if (!moving)
			klp_cb_pre_unpatch(obj);

		pr_notice("reverting patch '%s' on unloading module '%s'\n",
			  patch->mod->name, mod->name);
		klp_restore_object(obj, false);
		if (moving)
			klp_transition_refresh();

		klp_cb_post_unpatch(obj);
		klp_object_relocs(patch, obj, false);
		klp_object_forget_module(obj);
	}
}

/**
 * klp_module_coming() - patch a module that is being loaded
 * @mod:	the module, in MODULE_STATE_COMING
 *
 * Every active patch with an object for @mod gets it set up and patched;
 * a failure refuses the module and undoes what was done for it.
 *
 * Context: the module loader, before the module's init function.
 * Return: 0, or the error that makes the loader refuse the module.
 */
int klp_module_coming(struct module *mod)
{
	const char *name = mod->name;
	struct klp_patch *patch;
	struct klp_object *obj = NULL;
	int err = 0;

	if (WARN_ON_ONCE(mod->state != MODULE_STATE_COMING))
		return -EINVAL;
	/* "vmlinux" names the kernel's own object in every patch. */
	if (strcmp(name, "vmlinux") == 0) {
		pr_err("vmlinux.ko: invalid module name\n");
		return -EINVAL;
	}

	mutex_lock(&klp_mutex);

	/* Any later patch may want this module: mark it known. */
	mod->klp_alive = true;

	klp_for_each_patch(patch) {
		const char *pname = patch->mod->name;

		obj = klp_object_named(patch, name);
		if (!obj)
			continue;

		obj->mod = mod;
		err = klp_object_init_loaded(patch, obj);
		if (err) {
			pr_warn("cannot set up patch '%s' for module '%s' (%d)\n",
				pname, name, err);
			goto fail;
		}

		/* These lines are checked by the kernel's selftests. */
		pr_notice("applying patch '%s' to loading module '%s'\n",
			  pname, name);
		err = klp_cb_pre_patch(obj);
		if (err) {
			pr_warn("pre-patch callback failed for object '%s'\n",
				name);
			goto fail_relocs;
		}

		err = klp_redirect_object(obj);
		if (err) {
			pr_warn("cannot apply patch '%s' to module '%s' (%d)\n",
				pname, name, err);
			klp_cb_post_unpatch(obj);
			goto fail_relocs;
		}

		/* In transition, the post-patch callback comes at its end. */
		if (patch == klp_transition_patch)
			klp_transition_refresh();
		else
			klp_cb_post_patch(obj);
	}

	mutex_unlock(&klp_mutex);
	return 0;

fail_relocs:
	/*
	 * The patch stays loaded and writes them again at the module's next
	 * load; x86_64 writes only over zeroes.
	 */
	klp_object_relocs(patch, obj, false);
fail:
	pr_warn("patch '%s' failed for module '%s', refusing to load module '%s'\n",
		patch->mod->name, name, name);
	mod->klp_alive = false;
	klp_object_forget_module(obj);
	klp_module_teardown(mod, patch);
	mutex_unlock(&klp_mutex);
	return err;
}

/**
 * klp_module_going() - unpatch a module that is going away
 * @mod:	the module, in MODULE_STATE_GOING (or COMING, if its load failed)
 *
 * Context: the module loader, after the module's exit function.
 */
void klp_module_going(struct module *mod)
{
	/* COMING: a module whose load failed after klp_module_coming(). */
	bool expected = mod->state == MODULE_STATE_GOING ||
			mod->state == MODULE_STATE_COMING;

	if (WARN_ON_ONCE(!expected))
		return;

	mutex_lock(&klp_mutex);
	mod->klp_alive = false;
	klp_module_teardown(mod, NULL);
	mutex_unlock(&klp_mutex);
}

static int __init klp_init(void)
{
	int err;

	/* /sys/kernel/livepatch */
	klp_sysfs_root = kobject_create_and_add("livepatch", kernel_kobj);
	if (!klp_sysfs_root)
		return -ENOMEM;
	err = klp_transition_init();
	if (err) {
		pr_err("cannot watch exiting tasks: %d\n", err);
		kobject_put(klp_sysfs_root);
		klp_sysfs_root = NULL;
		return err;
	}
	pr_info("klpcore on %s; exit-to-user switch point: %s\n",
		KLP_ARCH_NAME, KLP_ARCH_EXIT_HOOK);
	return 0;
}
module_init(klp_init);
