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

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

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
	int ret = 0;

	if (obj->callbacks.pre_patch)
		ret = obj->callbacks.pre_patch(obj);
	obj->callbacks.post_unpatch_enabled = !ret;
	return ret;
}

void klp_cb_post_patch(struct klp_object *obj)
{
	if (obj->callbacks.post_patch)
		obj->callbacks.post_patch(obj);
}

void klp_cb_pre_unpatch(struct klp_object *obj)
{
	if (obj->callbacks.pre_unpatch)
		obj->callbacks.pre_unpatch(obj);
}

void klp_cb_post_unpatch(struct klp_object *obj)
{
	if (obj->callbacks.post_unpatch_enabled && obj->callbacks.post_unpatch)
		obj->callbacks.post_unpatch(obj);
	obj->callbacks.post_unpatch_enabled = false;
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

	klp_for_each_func_static(obj, func) {
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
		pr_err("module %s is not marked as a livepatch module\n",
		       patch->mod->name);
		return -EINVAL;
	}

	klp_for_each_object_static(patch, obj) {
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

static struct klp_object *klp_find_object(struct klp_patch *patch,
					  const char *name)
{
	struct klp_object *obj;

	klp_for_each_object(patch, obj)
		if (klp_same_object(obj->name, name))
			return obj;
	return NULL;
}

static struct klp_func *klp_find_func(struct klp_object *obj,
				      struct klp_func *like)
{
	struct klp_func *func;

	klp_for_each_func(obj, func)
		if (!strcmp(func->old_name, like->old_name) &&
		    klp_same_sympos(func->old_sympos, like->old_sympos))
			return func;
	return NULL;
}

static void klp_link_func(struct klp_object *obj, struct klp_func *func)
{
	kobject_init(&func->kobj, &klp_func_ktype);
	INIT_LIST_HEAD(&func->stack_node);
	func->patched = false;
	func->transition = false;
	list_add_tail(&func->node, &obj->func_list);
}

static void klp_link_object(struct klp_patch *patch, struct klp_object *obj)
{
	INIT_LIST_HEAD(&obj->func_list);
	kobject_init(&obj->kobj, &klp_object_ktype);
	obj->patched = false;
	obj->mod = NULL;
	list_add_tail(&obj->node, &patch->obj_list);
}

/*
 * A replacing patch gets a no-op entry for every function that an
 * earlier patch changes and it does not: the no-op runs the original
 * code, so the replace undoes what it leaves out.
 */
static int klp_add_nops_for(struct klp_patch *patch,
			    struct klp_object *old_obj)
{
	struct klp_object *obj = klp_find_object(patch, old_obj->name);
	struct klp_func *old_func, *nop;

	if (!obj) {
		obj = kzalloc(sizeof(*obj), GFP_KERNEL);
		if (!obj)
			return -ENOMEM;
		if (old_obj->name) {
			obj->name = kstrdup(old_obj->name, GFP_KERNEL);
			if (!obj->name) {
				kfree(obj);
				return -ENOMEM;
			}
		}
		klp_link_object(patch, obj);
		obj->dynamic = true;
	}

	klp_for_each_func(old_obj, old_func) {
		if (klp_find_func(obj, old_func))
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
		klp_link_func(obj, nop);
	}
	return 0;
}

static int klp_add_nops(struct klp_patch *patch)
{
	struct klp_patch *old;
	struct klp_object *old_obj;
	int ret;

	klp_for_each_patch(old) {
		klp_for_each_object(old, old_obj) {
			ret = klp_add_nops_for(patch, old_obj);
			if (ret)
				return ret;
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
	int ret;

	/* vmlinux relocations were written when the patch module loaded. */
	if (obj->name) {
		ret = klp_object_relocs(patch, obj, true);
		if (ret)
			return ret;
	}

	klp_for_each_func(obj, func) {
		ret = klp_lookup_symbol(obj->name, func->old_name,
					func->old_sympos, &addr);
		if (ret)
			return ret;
		func->old_func = (void *)addr;

		if (!kallsyms_lookup_size_offset(addr, &func->old_size, NULL)) {
			pr_err("kallsyms size lookup failed for '%s'\n",
			       func->old_name);
			return -ENOENT;
		}
		if (func->nop)
			func->new_func = func->old_func;
		if (!kallsyms_lookup_size_offset((unsigned long)func->new_func,
						 &func->new_size, NULL)) {
			pr_err("kallsyms size lookup failed for '%s' replacement\n",
			       func->old_name);
			return -ENOENT;
		}
	}
	return 0;
}

/* The object's module left: forget what pointed into it. */
static void klp_object_forget_module(struct klp_object *obj)
{
	struct klp_func *func;

	obj->mod = NULL;
	klp_for_each_func(obj, func) {
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
	preempt_disable();
	mod = find_module(obj->name);
	/*
	 * klp_alive is set by klp_module_coming() and cleared by
	 * klp_module_going(), both under klp_mutex: a module between the
	 * two is one this object must patch.
	 */
	if (mod && mod->klp_alive)
		obj->mod = mod;
	preempt_enable();
}

static int klp_object_init(struct klp_patch *patch, struct klp_object *obj)
{
	struct klp_func *func;
	int ret;

	klp_object_find_module(obj);

	ret = kobject_add(&obj->kobj, &patch->kobj, "%s", klp_obj_name(obj));
	if (ret)
		return ret;

	klp_for_each_func(obj, func) {
		/* sysfs names a unique symbol as position 1 */
		ret = kobject_add(&func->kobj, &obj->kobj, "%s,%lu",
				  func->old_name,
				  func->old_sympos ? func->old_sympos : 1);
		if (ret)
			return ret;
	}

	if (klp_obj_loaded(obj))
		return klp_object_init_loaded(patch, obj);
	return 0;
}

static void klp_free_funcs(struct klp_object *obj, bool nops_only)
{
	struct klp_func *func, *tmp;

	klp_for_each_func_safe(obj, func, tmp) {
		if (nops_only && !func->nop)
			continue;
		list_del(&func->node);
		kobject_put(&func->kobj);	/* frees a nop */
	}
}

static void klp_free_objects(struct klp_patch *patch, bool dynamic_only)
{
	struct klp_object *obj, *tmp;

	klp_for_each_object_safe(patch, obj, tmp) {
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
	if (!list_empty(&patch->list))
		list_del_init(&patch->list);
	klp_free_objects(patch, false);
}

/* Teardown, part two: without klp_mutex, the last access to the patch. */
static void klp_patch_free_final(struct klp_patch *patch)
{
	kobject_put(&patch->kobj);
	wait_for_completion(&patch->finish);
	/* A forced patch's code may still run: keep its module. */
	if (!patch->forced)
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
	struct klp_patch *patch, *tmp;

	klp_for_each_patch_safe(patch, tmp) {
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
	struct klp_patch *patch;

	klp_for_each_patch(patch) {
		if (patch == new_patch)
			break;
		patch->enabled = false;
		klp_restore_patch(patch, false);
	}
	klp_restore_patch(new_patch, true);
	klp_free_objects(new_patch, true);
}

static void klp_patch_init_early(struct klp_patch *patch)
{
	struct klp_object *obj;
	struct klp_func *func;

	INIT_LIST_HEAD(&patch->list);
	INIT_LIST_HEAD(&patch->obj_list);
	kobject_init(&patch->kobj, &klp_patch_ktype);
	patch->enabled = false;
	patch->forced = false;
	INIT_WORK(&patch->free_work, klp_patch_free_work);
	init_completion(&patch->finish);

	klp_for_each_object_static(patch, obj) {
		klp_link_object(patch, obj);
		obj->dynamic = false;
		klp_for_each_func_static(obj, func) {
			klp_link_func(obj, func);
			func->nop = false;
		}
	}
}

static int klp_patch_init(struct klp_patch *patch)
{
	struct klp_object *obj;
	int ret;

	ret = kobject_add(&patch->kobj, klp_root_kobj, "%s", patch->mod->name);
	if (ret)
		return ret;

	if (patch->replace) {
		ret = klp_add_nops(patch);
		if (ret)
			return ret;
	}

	klp_for_each_object(patch, obj) {
		ret = klp_object_init(patch, obj);
		if (ret)
			return ret;
	}

	list_add_tail(&patch->list, &klp_patches);
	return 0;
}

static int klp_enable_locked(struct klp_patch *patch)
{
	struct klp_object *obj;
	int ret;

	if (klp_transition_patch)
		return -EBUSY;
	if (WARN_ON(patch->enabled))
		return -EINVAL;

	pr_notice("enabling patch '%s'\n", patch->mod->name);

	klp_transition_prepare(patch, KLP_TRANSITION_PATCHED);

	/*
	 * Pair (C) of transition.c: func->transition, set by the prepare
	 * step, before the functions become visible on their sites.
	 */
	smp_wmb();

	klp_for_each_object(patch, obj) {
		if (!klp_obj_loaded(obj))
			continue;

		ret = klp_cb_pre_patch(obj);
		if (ret) {
			pr_warn("pre-patch callback failed for object '%s'\n",
				klp_obj_name(obj));
			goto fail;
		}
		ret = klp_redirect_object(obj);
		if (ret) {
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
	pr_warn("failed to enable patch '%s'\n", patch->mod->name);
	klp_transition_cancel();
	return ret;
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

	if (WARN_ON(!patch->enabled))
		return -EINVAL;
	if (klp_transition_patch)
		return -EBUSY;

	klp_transition_prepare(patch, KLP_TRANSITION_UNPATCHED);

	klp_for_each_object(patch, obj)
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
	int ret;

	ret = klp_check_patch(patch);
	if (ret)
		return ret;

	if (!klp_root_kobj)
		return -ENODEV;

	if (!klp_have_reliable_stack()) {
		pr_warn("This architecture doesn't have support for the livepatch consistency model.\n");
		pr_warn("The livepatch transition may never complete.\n");
	}

	mutex_lock(&klp_mutex);

	if (!klp_states_compatible(patch)) {
		pr_err("Livepatch patch (%s) is not compatible with the already installed livepatches.\n",
		       patch->mod->name);
		mutex_unlock(&klp_mutex);
		return -EINVAL;
	}

	if (!try_module_get(patch->mod)) {
		mutex_unlock(&klp_mutex);
		return -ENODEV;
	}

	klp_patch_init_early(patch);

	ret = klp_patch_init(patch);
	if (!ret)
		ret = klp_enable_locked(patch);
	if (ret) {
		klp_patch_free_locked(patch);
		mutex_unlock(&klp_mutex);
		klp_patch_free_final(patch);
		return ret;
	}

	mutex_unlock(&klp_mutex);
	return 0;
}
EXPORT_SYMBOL_GPL(klp_enable_patch);

/* Modules that come and go ------------------------------------------------- */

/* Undo the objects for mod of every patch older than limit (all if NULL). */
static void klp_module_teardown(struct module *mod, struct klp_patch *limit)
{
	struct klp_patch *patch;
	struct klp_object *obj;

	klp_for_each_patch(patch) {
		if (patch == limit)
			break;
		obj = klp_find_object(patch, mod->name);
		if (!obj || !obj->mod)
			continue;

		if (patch != klp_transition_patch)
			klp_cb_pre_unpatch(obj);

		pr_notice("reverting patch '%s' on unloading module '%s'\n",
			  patch->mod->name, obj->mod->name);
		klp_restore_object(obj, false);
		if (patch == klp_transition_patch)
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
	struct klp_patch *patch;
	struct klp_object *obj = NULL;
	int ret = 0;

	if (WARN_ON(mod->state != MODULE_STATE_COMING))
		return -EINVAL;

	if (!strcmp(mod->name, "vmlinux")) {
		pr_err("vmlinux.ko: invalid module name\n");
		return -EINVAL;
	}

	mutex_lock(&klp_mutex);

	/* Any later patch may want this module: mark it known. */
	mod->klp_alive = true;

	klp_for_each_patch(patch) {
		obj = klp_find_object(patch, mod->name);
		if (!obj)
			continue;

		obj->mod = mod;
		ret = klp_object_init_loaded(patch, obj);
		if (ret) {
			pr_warn("failed to initialize patch '%s' for module '%s' (%d)\n",
				patch->mod->name, mod->name, ret);
			goto fail;
		}

		pr_notice("applying patch '%s' to loading module '%s'\n",
			  patch->mod->name, mod->name);

		ret = klp_cb_pre_patch(obj);
		if (ret) {
			pr_warn("pre-patch callback failed for object '%s'\n",
				obj->name);
			goto fail;
		}

		ret = klp_redirect_object(obj);
		if (ret) {
			pr_warn("failed to apply patch '%s' to module '%s' (%d)\n",
				patch->mod->name, mod->name, ret);
			klp_cb_post_unpatch(obj);
			goto fail;
		}

		/* In transition, the post-patch callback comes at its end. */
		if (patch == klp_transition_patch)
			klp_transition_refresh();
		else
			klp_cb_post_patch(obj);
	}

	mutex_unlock(&klp_mutex);
	return 0;

fail:
	pr_warn("patch '%s' failed for module '%s', refusing to load module '%s'\n",
		patch->mod->name, mod->name, mod->name);
	mod->klp_alive = false;
	klp_object_forget_module(obj);
	klp_module_teardown(mod, patch);
	mutex_unlock(&klp_mutex);
	return ret;
}

/**
 * klp_module_going() - unpatch a module that is going away
 * @mod:	the module, in MODULE_STATE_GOING (or COMING, if its load failed)
 *
 * Context: the module loader, after the module's exit function.
 */
void klp_module_going(struct module *mod)
{
	if (WARN_ON(mod->state != MODULE_STATE_GOING &&
		    mod->state != MODULE_STATE_COMING))
		return;

	mutex_lock(&klp_mutex);
	mod->klp_alive = false;
	klp_module_teardown(mod, NULL);
	mutex_unlock(&klp_mutex);
}

static int __init klp_init(void)
{
	klp_root_kobj = kobject_create_and_add("livepatch", kernel_kobj);
	if (!klp_root_kobj)
		return -ENOMEM;
	pr_info("klpcore on %s; exit-to-user switch point: %s\n",
		KLP_ARCH_NAME, KLP_ARCH_EXIT_HOOK);
	return 0;
}
module_init(klp_init);
