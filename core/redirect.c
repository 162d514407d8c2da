// SPDX-License-Identifier: GPL-2.0
/*
 * redirect.c - patched sites: the implementations of each patched
 * function, and the one ftrace_ops that routes them all
 *
 * Every function that some patch replaces has exactly one klp_site: the
 * function's ftrace location and a stack of implementations, the
 * klp_func of each patch that replaces the function, newest on top (the
 * head of site->impls). The original code is the implicit bottom of the
 * stack. The handler picks the top or, for a task still in the old
 * universe, the entry just below it.
 *
 * All sites share klp_ops, whose filter is the set of their ftrace
 * locations, and this file owns every ftrace update of the core: an
 * object's new sites join the filter in one update, the sites a patch
 * empties leave it in one update, and stacking patches on a site does
 * not touch ftrace at all.
 */

#define pr_fmt(fmt) "livepatch: " fmt

#include <linux/ftrace.h>
#include <linux/hashtable.h>
#include <linux/rculist.h>
#include <linux/slab.h>

#include "internal.h"
#include "klp_arch.h"

struct klp_site {
	struct hlist_node addr_node;	/* klp_sites, by old_addr */
	struct hlist_node ip_node;	/* klp_sites_at, by ip; RCU */
	struct list_head batch_node;	/* klp_sites_new or klp_sites_gone */
	unsigned long old_addr;		/* the patched function */
	unsigned long ip;		/* its ftrace location */
	bool attached;			/* ip is in klp_ops or own_ops */
	struct ftrace_ops *own_ops;	/* a site shared with a direct caller */
	struct list_head impls;		/* klp_func.stack_node, newest first */
};

/* All sites, keyed by the patched function's address. klp_mutex. */
static DEFINE_HASHTABLE(klp_sites, 8);

/*
 * The same sites keyed by ftrace location, for the handler: added to
 * before a site is attached, deleted from before it is detached, and a
 * site is freed only after klp_sync_cpus().
 */
static DEFINE_HASHTABLE(klp_sites_at, 10);

/*
 * Sites made since the last klp_sites_attach(), and sites emptied since
 * the last klp_sites_release(). klp_mutex.
 */
static LIST_HEAD(klp_sites_new);
static LIST_HEAD(klp_sites_gone);

/* How many ips klp_ops's filter holds; registered while non-zero. */
static unsigned int klp_nr_attached;

static void notrace klp_ftrace_handler(unsigned long ip,
				       unsigned long parent_ip,
				       struct ftrace_ops *ops,
				       struct ftrace_regs *fregs);

/*
 * The one ftrace_ops of every patched site. A static ops of the core
 * kernel is not "dynamic" to ftrace: it is never freed, its trampoline
 * neither, and unregistering it does not wait for RCU-tasks grace
 * periods. klp_sites_release() waits for the handler itself.
 */
#ifdef CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS
#define KLP_OPS_FLAGS	(FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_PERMANENT)
#else
#define KLP_OPS_FLAGS	(FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_PERMANENT | \
			 FTRACE_OPS_FL_SAVE_REGS)
#endif

static struct ftrace_ops klp_ops = {
	.func	= klp_ftrace_handler,
	.flags	= KLP_OPS_FLAGS,
};

static struct klp_site *klp_site_find(unsigned long old_addr)
{
	struct klp_site *site;

	hash_for_each_possible(klp_sites, site, addr_node, old_addr)
		if (site->old_addr == old_addr)
			return site;
	return NULL;
}

/*
 * The implementation this task must run at a site.
 *
 * Runs in the context of every call of a patched function: preemption is
 * disabled by the recursion guard, which makes the whole handler, lookup
 * included, a section that klp_sync_cpus() waits for (klp_sites_release()
 * before it frees a site, the transition code before it clears a flag).
 * A site may be missing or empty for a moment when its last entry leaves:
 * every task then runs the original code, so the handler leaves the
 * resume address alone.
 */
static void notrace klp_ftrace_handler(unsigned long ip,
				       unsigned long parent_ip,
				       struct ftrace_ops *ops,
				       struct ftrace_regs *fregs)
{
	struct klp_site *site;
	struct klp_func *func = NULL;
	int guard;

	guard = ftrace_test_recursion_trylock(ip, parent_ip);
	if (WARN_ON_ONCE(guard < 0))
		return;

	/*
	 * Published by hash_add_rcu() in klp_site_create() with the first
	 * entry already on the list: the release of that add pairs with
	 * the dependency of this lookup (pair (J)).
	 */
	hash_for_each_possible_rcu_notrace(klp_sites_at, site, ip_node, ip) {
		if (site->ip == ip) {
			func = list_first_or_null_rcu(&site->impls,
						      struct klp_func,
						      stack_node);
			break;
		}
	}
	if (!func)
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

/* The line the kernel's selftests check when ftrace refuses a function. */
static void klp_site_refused(struct klp_site *site, int err)
{
	struct klp_func *func = list_first_entry(&site->impls,
						 struct klp_func, stack_node);

	pr_err("failed to register ftrace handler for function '%s' (%d)\n",
	       func->old_name, err);
}

/*
 * Add @nr ips to klp_ops: one filter update, and the registration when
 * the filter was empty. ftrace applies a filter update whole or not at
 * all; klp_ops is never registered with an empty filter (which would
 * trace every function).
 */
static int klp_ops_add(unsigned long *ips, unsigned int nr)
{
	int err;

	if (klp_nr_attached)
		return ftrace_set_filter_ips(&klp_ops, ips, nr, 0, 0);

	err = ftrace_set_filter_ips(&klp_ops, ips, nr, 0, 1);
	if (err)
		return err;
	err = register_ftrace_function(&klp_ops);
	if (err)
		WARN_ON(ftrace_set_filter_ips(&klp_ops, NULL, 0, 0, 1));
	return err;
}

/*
 * Take @nr attached ips out of klp_ops: one filter update, or, for its
 * last ips, unregistering it and then emptying the filter.
 */
static void klp_ops_remove(unsigned long *ips, unsigned int nr)
{
	if (nr == klp_nr_attached) {
		if (!WARN_ON(unregister_ftrace_function(&klp_ops)))
			WARN_ON(ftrace_set_filter_ips(&klp_ops, NULL, 0, 0, 1));
	} else {
		WARN_ON(ftrace_set_filter_ips(&klp_ops, ips, nr, 1, 0));
	}
	klp_nr_attached -= nr;
}

/*
 * A function that a direct caller (a BPF trampoline) uses too: ftrace
 * asks that caller to share it with an IPMODIFY ops (to call the address
 * the handler sets rather than the original body) only when such an ops
 * registers, never when an ip joins a registered ops's filter. So the
 * site leaves klp_ops for an ops of its own, registered on it alone.
 * Between the two, calls run the original code, which is right for
 * every task while a site is being attached: its only entry is a patch
 * in transition from the unpatched universe, or the function's module
 * has not run yet.
 */
static int klp_site_own_ops(struct klp_site *site)
{
	struct ftrace_ops *ops;
	int err;

	ops = kzalloc(sizeof(*ops), GFP_KERNEL);
	if (!ops)
		return -ENOMEM;
	ops->func = klp_ftrace_handler;
	ops->flags = KLP_OPS_FLAGS;

	klp_ops_remove(&site->ip, 1);
	site->attached = false;

	err = ftrace_set_filter_ips(ops, &site->ip, 1, 0, 0);
	if (!err)
		err = register_ftrace_function(ops);
	if (err) {
		ftrace_free_filter(ops);
		kfree(ops);
		return err;
	}
	site->own_ops = ops;
	site->attached = true;
	return 0;
}

/* A site's own ops leaves ftrace (waiting for its callers) and goes. */
static void klp_site_free_own_ops(struct klp_site *site)
{
	struct ftrace_ops *ops = site->own_ops;

	site->own_ops = NULL;
	site->attached = false;
	/* Still registered, it may still be called: leak it. */
	if (WARN_ON(unregister_ftrace_function(ops)))
		return;
	ftrace_free_filter(ops);
	kfree(ops);
}

/**
 * klp_sites_attach() - route the calls of the sites made since last time
 *
 * One ftrace code update for all of them. When ftrace refuses the batch
 * (another IPMODIFY user, a kprobe with a post handler, ftrace disabled),
 * the sites are attached one by one, so that the one refused is named,
 * and the error is returned: the caller pops the entries it pushed.
 * Context: klp_mutex.
 * Return: 0, or the error of the site ftrace refused.
 */
static int klp_sites_attach(void)
{
	struct klp_site *site, *next;
	unsigned long *ips = NULL;
	unsigned int nr = 0;
	bool batched = false;
	LIST_HEAD(done);
	int err = 0;

	list_for_each_entry(site, &klp_sites_new, batch_node)
		nr++;
	if (!nr)
		return 0;

	if (nr > 1)
		ips = kvmalloc_array(nr, sizeof(*ips), GFP_KERNEL);
	if (ips) {
		nr = 0;
		list_for_each_entry(site, &klp_sites_new, batch_node)
			ips[nr++] = site->ip;
		batched = !klp_ops_add(ips, nr);
		kvfree(ips);
	}

	list_for_each_entry_safe(site, next, &klp_sites_new, batch_node) {
		if (!batched) {
			err = klp_ops_add(&site->ip, 1);
			if (err) {
				klp_site_refused(site, err);
				goto out;
			}
		}
		site->attached = true;
		klp_nr_attached++;
		list_move_tail(&site->batch_node, &done);
	}

	/*
	 * Checked after the sites joined klp_ops: a direct caller that
	 * registers later finds IPMODIFY on the function and shares it by
	 * itself; one that registered before is seen here.
	 */
	list_for_each_entry(site, &done, batch_node) {
		if (!ftrace_find_rec_direct(site->ip))
			continue;
		err = klp_site_own_ops(site);
		if (err) {
			klp_site_refused(site, err);
			break;
		}
	}
out:
	/* Off the local list before the caller may pop these sites. */
	list_for_each_entry_safe(site, next, &done, batch_node)
		list_del_init(&site->batch_node);
	return err;
}

/**
 * klp_sites_release() - detach and free the sites emptied since last time
 *
 * One ftrace code update for all of them (unregistering klp_ops when no
 * site stays), then klp_sync_cpus(): a handler that found a site before
 * it left klp_sites_at has finished before the site is freed.
 * Context: klp_mutex.
 */
static void klp_sites_release(void)
{
	struct klp_site *site, *next;
	unsigned long *ips = NULL;
	unsigned int nr = 0;

	if (list_empty(&klp_sites_gone))
		return;

	list_for_each_entry(site, &klp_sites_gone, batch_node) {
		if (site->own_ops)
			klp_site_free_own_ops(site);
		nr += site->attached;
	}

	if (nr > 1)
		ips = kvmalloc_array(nr, sizeof(*ips), GFP_KERNEL);
	if (ips) {
		nr = 0;
		list_for_each_entry(site, &klp_sites_gone, batch_node)
			if (site->attached)
				ips[nr++] = site->ip;
		klp_ops_remove(ips, nr);
		kvfree(ips);
	} else if (nr) {
		/* One at a time: slower, but never leave ips behind. */
		list_for_each_entry(site, &klp_sites_gone, batch_node)
			if (site->attached)
				klp_ops_remove(&site->ip, 1);
	}

	klp_sync_cpus();
	list_for_each_entry_safe(site, next, &klp_sites_gone, batch_node) {
		list_del(&site->batch_node);
		kfree(site);
	}
}

/* A new site for func's function, with func as its only entry. */
static struct klp_site *klp_site_create(struct klp_func *func)
{
	unsigned long loc, addr = (unsigned long)func->old_func;
	struct klp_site *site;

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
	site->ip = loc;
	INIT_LIST_HEAD(&site->impls);
	list_add_rcu(&func->stack_node, &site->impls);
	hash_add(klp_sites, &site->addr_node, addr);
	/* Pair (J): the entry is on the list before the handler can look. */
	hash_add_rcu(klp_sites_at, &site->ip_node, loc);
	list_add_tail(&site->batch_node, &klp_sites_new);
	return site;
}

/* Push func on its site; a new site waits for klp_sites_attach(). */
static int klp_push_func(struct klp_func *func)
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

/* Pop func from its site; an emptied site waits for klp_sites_release(). */
static void klp_pop_func(struct klp_func *func)
{
	struct klp_site *site;

	if (WARN_ON(!func->patched || !func->old_func))
		return;

	site = klp_site_find((unsigned long)func->old_func);
	if (WARN_ON(!site))
		return;

	func->patched = false;
	if (list_is_singular(&site->impls)) {
		/*
		 * The last entry: no task needs it any more (the transition
		 * that removes it is over, the patch never took effect, or
		 * its module is going), so the handler may stop finding the
		 * site before ftrace stops calling it there.
		 */
		hash_del_rcu(&site->ip_node);
		hash_del(&site->addr_node);
		list_move_tail(&site->batch_node, &klp_sites_gone);
	}
	list_del_rcu(&func->stack_node);
}

#if IS_ENABLED(CONFIG_KUNIT)
/* One function on its own, for the KUnit suites. */
int klp_redirect_func(struct klp_func *func)
{
	int err = klp_push_func(func);

	if (err)
		return err;
	err = klp_sites_attach();
	if (err) {
		klp_pop_func(func);
		klp_sites_release();
	}
	return err;
}

void klp_restore_func(struct klp_func *func)
{
	klp_pop_func(func);
	klp_sites_release();
}
#endif

/**
 * klp_redirect_object() - push an object's functions on their sites
 * @obj:	a loaded object whose functions are resolved
 *
 * All or nothing: on failure the functions pushed so far are removed.
 * The new sites are attached with one ftrace update.
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
		err = klp_push_func(func);
		if (err)
			break;
	}
	if (!err)
		err = klp_sites_attach();
	if (err)
		klp_restore_object(obj, false);
	else
		obj->patched = true;
	return err;
}

static void klp_pop_object(struct klp_object *obj, bool nops_only)
{
	struct klp_func *func;

	list_for_each_entry(func, &obj->func_list, node)
		if (func->patched && (func->nop || !nops_only))
			klp_pop_func(func);
	/* A static object keeps real functions when only nops leave. */
	if (!nops_only || obj->dynamic)
		obj->patched = false;
}

/**
 * klp_restore_object() - pop an object's functions from their sites
 * @obj:	the object
 * @nops_only:	only the no-op entries of a replacing patch
 *
 * The sites left empty are detached with one ftrace update.
 * Context: klp_mutex.
 */
void klp_restore_object(struct klp_object *obj, bool nops_only)
{
	klp_pop_object(obj, nops_only);
	klp_sites_release();
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
			klp_pop_object(obj, nops_only);
	klp_sites_release();
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
