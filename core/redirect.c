// SPDX-License-Identifier: GPL-2.0
/*
 * redirect.c - patched sites: one ftrace_ops per patched function entry
 *
 * Every function that some patch replaces has exactly one klp_site. The
 * site owns the ftrace_ops registered on the function's ftrace location
 * and a stack of implementations: the klp_func of each patch that
 * replaces the function, newest on top (the head of site->impls). The
 * original code is the implicit bottom of the stack.
 *
 * Pushing a newer patch therefore only adds an entry at the head of the
 * list; the handler picks the top or, for a task still in the old
 * universe, the entry just below it. Nothing is re-registered with ftrace
 * when patches are stacked, and a site goes back to ftrace only when its
 * last implementation leaves.
 */

#define pr_fmt(fmt) "livepatch: " fmt

#include <kunit/visibility.h>
#include <linux/ftrace.h>
#include <linux/hashtable.h>
#include <linux/rculist.h>
#include <linux/slab.h>

#include "internal.h"
#include "klp_arch.h"

struct klp_site {
	struct hlist_node hnode;	/* klp_sites, by old_addr */
	unsigned long old_addr;		/* the patched function */
	struct list_head impls;		/* klp_func.stack_node, newest first */
	struct ftrace_ops ops;
};

/* All sites, keyed by the patched function's address. klp_mutex. */
static DEFINE_HASHTABLE(klp_sites, 8);

static struct klp_site *klp_site_find(unsigned long old_addr)
{
	struct klp_site *site;

	hash_for_each_possible(klp_sites, site, hnode, old_addr)
		if (site->old_addr == old_addr)
			return site;
	return NULL;
}

/*
 * The implementation this task must run at a site.
 *
 * Runs in the context of every call of a patched function: preemption is
 * disabled by the recursion guard, which makes the whole handler an
 * RCU-sched read-side section (klp_restore_func() waits for it through
 * unregister_ftrace_function(), the transition code by scheduling on
 * every CPU).
 */
static void notrace klp_ftrace_handler(unsigned long ip,
				       unsigned long parent_ip,
				       struct ftrace_ops *ops,
				       struct ftrace_regs *fregs)
{
	struct klp_site *site = container_of(ops, struct klp_site, ops);
	struct klp_func *func;
	int guard;

	guard = ftrace_test_recursion_trylock(ip, parent_ip);
	if (WARN_ON_ONCE(guard < 0))
		return;

	func = list_first_or_null_rcu(&site->impls, struct klp_func,
				      stack_node);
	/* A site leaves ftrace before its last entry leaves the list. */
	if (WARN_ON_ONCE(!func))
		goto out;

	/*
	 * Read the top entry before its transition flag. Pairs with the
	 * smp_wmb() in klp_enable_locked() between setting func->transition
	 * and publishing func on the list: a func seen on the list is seen
	 * with transition set.
	 */
	smp_rmb();

	if (unlikely(READ_ONCE(func->transition))) {
		int state;

		/*
		 * Read the flag before the task's universe. Pairs with the
		 * smp_wmb() in klp_transition_prepare() between setting every
		 * task's patch_state and setting func->transition: with the
		 * flag set, patch_state is never KLP_TRANSITION_IDLE.
		 */
		smp_rmb();
		state = READ_ONCE(current->patch_state);
		WARN_ON_ONCE(state == KLP_TRANSITION_IDLE);

		/* The old universe: whatever was there before, if anything. */
		if (state == KLP_TRANSITION_UNPATCHED)
			func = list_next_or_null_rcu(&site->impls,
						     &func->stack_node,
						     struct klp_func, stack_node);
	}

	/* No entry, or a no-op one: the original code runs. */
	if (func && !func->nop)
		klp_arch_set_pc(fregs, (unsigned long)func->new_func);
out:
	ftrace_test_recursion_unlock(guard);
}

/* A new site for func's function, with func as its only entry. */
static struct klp_site *klp_site_create(struct klp_func *func)
{
	unsigned long loc, addr = (unsigned long)func->old_func;
	struct klp_site *site;
	int err;

	loc = klp_arch_ftrace_location(addr);
	if (!loc) {
		pr_err("function '%s' has no ftrace location\n",
		       func->old_name);
		return ERR_PTR(-EINVAL);
	}

	site = kzalloc(sizeof(*site), GFP_KERNEL);
	if (!site)
		return ERR_PTR(-ENOMEM);

	site->old_addr = addr;
	INIT_LIST_HEAD(&site->impls);
	site->ops.func = klp_ftrace_handler;
	site->ops.flags = FTRACE_OPS_FL_DYNAMIC | FTRACE_OPS_FL_IPMODIFY |
			  FTRACE_OPS_FL_PERMANENT;
	if (!IS_ENABLED(CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS))
		site->ops.flags |= FTRACE_OPS_FL_SAVE_REGS;

	err = ftrace_set_filter_ip(&site->ops, loc, 0, 0);
	if (err) {
		pr_err("cannot trace function '%s' (%d)\n", func->old_name, err);
		goto free;
	}

	/*
	 * The entry goes on the list before the ops is registered, so the
	 * handler never sees an empty site.
	 */
	list_add_rcu(&func->stack_node, &site->impls);
	err = register_ftrace_function(&site->ops);
	if (err) {
		/* This line is checked by the kernel's selftests. */
		pr_err("failed to register ftrace handler for function '%s' (%d)\n",
		       func->old_name, err);
		list_del_init(&func->stack_node);	/* never visible */
		ftrace_set_filter_ip(&site->ops, loc, 1, 0);
		goto free;
	}

	hash_add(klp_sites, &site->hnode, addr);
	return site;
free:
	kfree(site);
	return ERR_PTR(err);
}

VISIBLE_IF_KUNIT int klp_redirect_func(struct klp_func *func)
{
	struct klp_site *site;

	if (WARN_ON(!func->old_func || func->patched))
		return -EINVAL;

	site = klp_site_find((unsigned long)func->old_func);
	if (site) {
		list_add_rcu(&func->stack_node, &site->impls);
	} else {
		site = klp_site_create(func);
		if (IS_ERR(site))
			return PTR_ERR(site);
	}
	func->patched = true;
	return 0;
}

VISIBLE_IF_KUNIT void klp_restore_func(struct klp_func *func)
{
	struct klp_site *site;
	unsigned long loc;
	bool last;

	if (WARN_ON(!func->patched || !func->old_func))
		return;

	site = klp_site_find((unsigned long)func->old_func);
	if (WARN_ON(!site))
		return;

	func->patched = false;
	last = list_is_singular(&site->impls);
	if (last) {
		/*
		 * Take the site out of ftrace first: unregistering waits
		 * until no CPU can be inside the handler, so the list and
		 * the site may go right after.
		 */
		loc = klp_arch_ftrace_location(site->old_addr);
		WARN_ON(unregister_ftrace_function(&site->ops));
		if (loc)
			WARN_ON(ftrace_set_filter_ip(&site->ops, loc, 1, 0));
	}
	list_del_rcu(&func->stack_node);
	if (last) {
		hash_del(&site->hnode);
		kfree(site);
	}
}

/**
 * klp_redirect_object() - push an object's functions on their sites
 * @obj:	a loaded object whose functions are resolved
 *
 * All or nothing: on failure the functions pushed so far are removed.
 * Context: klp_mutex.
 * Return: 0, or the error of the function that could not be pushed.
 */
int klp_redirect_object(struct klp_object *obj)
{
	struct klp_func *func;
	int err = 0;

	if (WARN_ON_ONCE(obj->patched))
		return -EINVAL;

	list_for_each_entry(func, &obj->func_list, node) {
		err = klp_redirect_func(func);
		if (err)
			break;
	}
	if (err)
		klp_restore_object(obj, false);
	else
		obj->patched = true;
	return err;
}

/**
 * klp_restore_object() - pop an object's functions from their sites
 * @obj:	the object
 * @nops_only:	only the no-op entries of a replacing patch
 *
 * Context: klp_mutex.
 */
void klp_restore_object(struct klp_object *obj, bool nops_only)
{
	struct klp_func *func;

	list_for_each_entry(func, &obj->func_list, node)
		if (func->patched && (func->nop || !nops_only))
			klp_restore_func(func);
	/* A static object keeps real functions when only nops leave. */
	if (!nops_only || obj->dynamic)
		obj->patched = false;
}

/**
 * klp_restore_patch() - pop every patched object of a patch
 * @patch:	the patch
 * @nops_only:	only the no-op entries (after an atomic replace)
 *
 * Context: klp_mutex.
 */
void klp_restore_patch(struct klp_patch *patch, bool nops_only)
{
	struct klp_object *obj;

	list_for_each_entry(obj, &patch->obj_list, node)
		if (obj->patched)
			klp_restore_object(obj, nops_only);
}

/**
 * klp_func_below() - the implementation under a function on its site
 * @func:	a pushed function
 *
 * Context: klp_mutex.
 * Return: the klp_func just below @func, or NULL when @func sits right on
 * the original code.
 */
struct klp_func *klp_func_below(struct klp_func *func)
{
	struct klp_site *site = klp_site_find((unsigned long)func->old_func);

	if (WARN_ON_ONCE(!site))
		return NULL;
	if (list_is_last(&func->stack_node, &site->impls))
		return NULL;
	return list_next_entry(func, stack_node);
}

/**
 * klp_leaving_range() - the code a task must not be inside to switch
 * @func:	a function of the patch in transition
 * @goal:	the universe the tasks move to
 * @start:	returns the start of the code
 * @size:	returns its size
 *
 * Moving to the patched universe, a task leaves what @func replaces: the
 * implementation below it, or the original function. Moving back, it
 * leaves @func's own new code. Context: klp_mutex.
 */
void klp_leaving_range(struct klp_func *func, int goal,
		       unsigned long *start, unsigned long *size)
{
	struct klp_func *below;

	if (goal == KLP_TRANSITION_UNPATCHED) {
		*start = (unsigned long)func->new_func;
		*size = func->new_size;
		return;
	}

	below = klp_func_below(func);
	if (below) {
		*start = (unsigned long)below->new_func;
		*size = below->new_size;
	} else {
		*start = (unsigned long)func->old_func;
		*size = func->old_size;
	}
}
