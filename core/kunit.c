// SPDX-License-Identifier: GPL-2.0
/*
 * kunit.c - KUnit suites for the internals of the klpcore core
 *
 *   klpcore_site    the implementation stack of a patched function entry,
 *                   on a real ftrace site: push, pop, no-op entries,
 *                   which implementation each universe sees, objects
 *                   attached and detached in one update, an object
 *                   that ftrace refuses left entirely unpatched, and a
 *                   function shared with a direct caller
 *   klpcore_spans   the table of code that tasks must leave, built from a
 *                   patch and searched while a stack is walked, and
 *                   never used for another goal than its own
 *   klpcore_state   system state lookups and compatibility
 *   klpcore_shadow  shadow variables
 *   klpcore_retry   when a transition looks again, and arms cond_resched()
 *   klpcore_diag    what a blocked task is said to wait for, where a walk
 *                   finds the code to leave, and when a stall is logged
 */

#include <kunit/test.h>
#include <linux/ftrace.h>
#include <linux/kallsyms.h>
#include <linux/livepatch.h>
#include <linux/slab.h>

#include "internal.h"

/* A function to patch, and its replacements. */
noinline int klp_kunit_target(int x);
noinline int klp_kunit_target(int x)
{
	return x + 1;
}

noinline int klp_kunit_target2(int x);
noinline int klp_kunit_target2(int x)
{
	return x + 2;
}

noinline int klp_kunit_impl_a(int x);
noinline int klp_kunit_impl_a(int x)
{
	return x + 100;
}

noinline int klp_kunit_impl_b(int x);
noinline int klp_kunit_impl_b(int x)
{
	return x + 200;
}

/* Call the target through a pointer the compiler cannot see through. */
static int klp_kunit_call(int x)
{
	int (*fn)(int) = klp_kunit_target;

	OPTIMIZER_HIDE_VAR(fn);
	return fn(x);
}

static int klp_kunit_call2(int x)
{
	int (*fn)(int) = klp_kunit_target2;

	OPTIMIZER_HIDE_VAR(fn);
	return fn(x);
}

static void klp_kunit_func_on(struct kunit *test, struct klp_func *func,
			      int (*target)(int), const char *name,
			      void *new_func, bool nop)
{
	unsigned long old = (unsigned long)target;

	memset(func, 0, sizeof(*func));
	func->old_name = name;
	func->old_func = target;
	func->new_func = nop ? (void *)target : new_func;
	func->nop = nop;
	INIT_LIST_HEAD(&func->stack_node);
	KUNIT_ASSERT_TRUE(test, kallsyms_lookup_size_offset(old,
							    &func->old_size,
							    NULL));
	KUNIT_ASSERT_TRUE(test,
			  kallsyms_lookup_size_offset((unsigned long)func->new_func,
						      &func->new_size, NULL));
}

static void klp_kunit_func(struct kunit *test, struct klp_func *func,
			   void *new_func, bool nop)
{
	klp_kunit_func_on(test, func, klp_kunit_target, "klp_kunit_target",
			  new_func, nop);
}

static void klp_site_stack_test(struct kunit *test)
{
	struct klp_func a, b;
	unsigned long start, size;
	int saved = current->patch_state;

	klp_kunit_func(test, &a, klp_kunit_impl_a, false);
	klp_kunit_func(test, &b, klp_kunit_impl_b, false);

	mutex_lock(&klp_mutex);
	KUNIT_EXPECT_EQ(test, klp_kunit_call(1), 2);

	KUNIT_ASSERT_EQ(test, klp_redirect_func(&a), 0);
	KUNIT_EXPECT_EQ(test, klp_kunit_call(1), 101);
	KUNIT_EXPECT_NULL(test, klp_func_below(&a));

	KUNIT_ASSERT_EQ(test, klp_redirect_func(&b), 0);
	KUNIT_EXPECT_EQ(test, klp_kunit_call(1), 201);
	KUNIT_EXPECT_PTR_EQ(test, klp_func_below(&b), &a);

	/* What a task would leave, in each direction. */
	klp_leaving_range(&b, KLP_TRANSITION_PATCHED, &start, &size);
	KUNIT_EXPECT_EQ(test, start, (unsigned long)klp_kunit_impl_a);
	KUNIT_EXPECT_EQ(test, size, a.new_size);
	klp_leaving_range(&a, KLP_TRANSITION_PATCHED, &start, &size);
	KUNIT_EXPECT_EQ(test, start, (unsigned long)klp_kunit_target);
	klp_leaving_range(&b, KLP_TRANSITION_UNPATCHED, &start, &size);
	KUNIT_EXPECT_EQ(test, start, (unsigned long)klp_kunit_impl_b);

	/* During a transition each universe sees its own implementation. */
	b.transition = true;
	current->patch_state = KLP_TRANSITION_UNPATCHED;
	KUNIT_EXPECT_EQ(test, klp_kunit_call(1), 101);
	current->patch_state = KLP_TRANSITION_PATCHED;
	KUNIT_EXPECT_EQ(test, klp_kunit_call(1), 201);
	current->patch_state = saved;
	b.transition = false;

	klp_restore_func(&b);
	KUNIT_EXPECT_FALSE(test, b.patched);
	KUNIT_EXPECT_EQ(test, klp_kunit_call(1), 101);
	klp_restore_func(&a);
	KUNIT_EXPECT_EQ(test, klp_kunit_call(1), 2);
	mutex_unlock(&klp_mutex);
}

static void klp_site_nop_test(struct kunit *test)
{
	struct klp_func a, nop;
	int saved = current->patch_state;

	klp_kunit_func(test, &a, klp_kunit_impl_a, false);
	klp_kunit_func(test, &nop, NULL, true);

	mutex_lock(&klp_mutex);
	KUNIT_ASSERT_EQ(test, klp_redirect_func(&a), 0);
	KUNIT_ASSERT_EQ(test, klp_redirect_func(&nop), 0);
	/* A no-op on top runs the original code... */
	KUNIT_EXPECT_EQ(test, klp_kunit_call(5), 6);
	/* ...while the old universe still sees the patch below it. */
	nop.transition = true;
	current->patch_state = KLP_TRANSITION_UNPATCHED;
	KUNIT_EXPECT_EQ(test, klp_kunit_call(5), 105);
	current->patch_state = saved;
	nop.transition = false;

	klp_restore_func(&nop);
	klp_restore_func(&a);
	KUNIT_EXPECT_EQ(test, klp_kunit_call(5), 6);
	mutex_unlock(&klp_mutex);
}

/* An object of two functions on two sites, for the batched updates. */
static void klp_kunit_object(struct kunit *test, struct klp_object *obj,
			     struct klp_func *a, struct klp_func *c)
{
	memset(obj, 0, sizeof(*obj));
	INIT_LIST_HEAD(&obj->func_list);
	klp_kunit_func(test, a, klp_kunit_impl_a, false);
	klp_kunit_func_on(test, c, klp_kunit_target2, "klp_kunit_target2",
			  klp_kunit_impl_b, false);
	list_add_tail(&a->node, &obj->func_list);
	list_add_tail(&c->node, &obj->func_list);
}

static void klp_site_batch_test(struct kunit *test)
{
	struct klp_object obj;
	struct klp_func a, c;
	int err;

	klp_kunit_object(test, &obj, &a, &c);

	mutex_lock(&klp_mutex);
	err = klp_redirect_object(&obj);
	KUNIT_EXPECT_EQ(test, err, 0);
	if (err) {
		mutex_unlock(&klp_mutex);
		return;
	}
	KUNIT_EXPECT_TRUE(test, obj.patched);
	KUNIT_EXPECT_EQ(test, klp_kunit_call(1), 101);
	KUNIT_EXPECT_EQ(test, klp_kunit_call2(1), 201);

	/* One site leaves while the other stays attached. */
	klp_restore_func(&c);
	KUNIT_EXPECT_EQ(test, klp_kunit_call(1), 101);
	KUNIT_EXPECT_EQ(test, klp_kunit_call2(1), 3);

	klp_restore_object(&obj, false);
	KUNIT_EXPECT_FALSE(test, obj.patched);
	KUNIT_EXPECT_FALSE(test, a.patched);
	KUNIT_EXPECT_EQ(test, klp_kunit_call(1), 2);
	KUNIT_EXPECT_EQ(test, klp_kunit_call2(1), 3);
	mutex_unlock(&klp_mutex);
}

static void notrace klp_kunit_rival(unsigned long ip, unsigned long parent_ip,
				    struct ftrace_ops *ops,
				    struct ftrace_regs *fregs)
{
}

/* Another IPMODIFY user of the second function: ftrace refuses ours. */
static struct ftrace_ops klp_kunit_rival_ops = {
	.func	= klp_kunit_rival,
	.flags	= FTRACE_OPS_FL_IPMODIFY |
#ifndef CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS
		  FTRACE_OPS_FL_SAVE_REGS |
#endif
		  0,
};

static void klp_site_refused_test(struct kunit *test)
{
	unsigned long ip = ftrace_location((unsigned long)klp_kunit_target2);
	struct klp_object obj;
	struct klp_func a, c;
	int err;

	KUNIT_ASSERT_NE(test, ip, 0);
	klp_kunit_object(test, &obj, &a, &c);
	KUNIT_ASSERT_EQ(test, ftrace_set_filter_ip(&klp_kunit_rival_ops, ip,
						   0, 1), 0);
	KUNIT_ASSERT_EQ(test, register_ftrace_function(&klp_kunit_rival_ops),
			0);

	mutex_lock(&klp_mutex);
	/* Both functions at once, or neither. */
	err = klp_redirect_object(&obj);
	KUNIT_EXPECT_EQ(test, err, -EBUSY);
	KUNIT_EXPECT_FALSE(test, obj.patched);
	KUNIT_EXPECT_FALSE(test, a.patched);
	KUNIT_EXPECT_FALSE(test, c.patched);
	KUNIT_EXPECT_EQ(test, klp_kunit_call(1), 2);
	KUNIT_EXPECT_EQ(test, klp_kunit_call2(1), 3);
	mutex_unlock(&klp_mutex);

	unregister_ftrace_function(&klp_kunit_rival_ops);
	ftrace_set_filter_ip(&klp_kunit_rival_ops, ip, 1, 0);

	/* Nothing was left behind: the same object now goes on. */
	mutex_lock(&klp_mutex);
	err = klp_redirect_object(&obj);
	KUNIT_EXPECT_EQ(test, err, 0);
	if (err) {
		mutex_unlock(&klp_mutex);
		return;
	}
	KUNIT_EXPECT_EQ(test, klp_kunit_call(1), 101);
	KUNIT_EXPECT_EQ(test, klp_kunit_call2(1), 201);
	klp_restore_object(&obj, false);
	KUNIT_EXPECT_EQ(test, klp_kunit_call(1), 2);
	KUNIT_EXPECT_EQ(test, klp_kunit_call2(1), 3);
	mutex_unlock(&klp_mutex);
}

#ifdef CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS
/* What ftrace asked the direct caller, in order. */
static int klp_kunit_cmds[4];
static int klp_kunit_nr_cmds;

static int klp_kunit_direct_cmd(struct ftrace_ops *ops,
				enum ftrace_ops_cmd cmd)
{
	if (klp_kunit_nr_cmds < ARRAY_SIZE(klp_kunit_cmds))
		klp_kunit_cmds[klp_kunit_nr_cmds] = cmd;
	klp_kunit_nr_cmds++;
	return 0;
}

/* A direct caller of the second function, as a BPF trampoline is. */
static struct ftrace_ops klp_kunit_direct_ops = {
	.ops_func = klp_kunit_direct_cmd,
};

/*
 * A function that already has a direct caller joins a registered
 * klp_ops: ftrace must ask that caller to share the function (to jump
 * to the address the handler sets), or a BPF trampoline there would go
 * on running the original body.
 */
static void klp_site_direct_test(struct kunit *test)
{
	unsigned long ip = ftrace_location((unsigned long)klp_kunit_target2);
	unsigned long tramp = (unsigned long)ftrace_stub_direct_tramp;
	struct klp_func a, c;
	int err;

	KUNIT_ASSERT_NE(test, ip, 0);
	klp_kunit_func(test, &a, klp_kunit_impl_a, false);
	klp_kunit_func_on(test, &c, klp_kunit_target2, "klp_kunit_target2",
			  klp_kunit_impl_b, false);
	klp_kunit_nr_cmds = 0;
	KUNIT_ASSERT_EQ(test, ftrace_set_filter_ip(&klp_kunit_direct_ops, ip,
						   0, 1), 0);
	err = register_ftrace_direct(&klp_kunit_direct_ops, tramp);
	if (err)
		ftrace_set_filter_ip(&klp_kunit_direct_ops, ip, 1, 0);
	KUNIT_ASSERT_EQ(test, err, 0);
	/* The stub trampoline goes back into the function's body. */
	KUNIT_EXPECT_EQ(test, klp_kunit_call2(1), 3);

	mutex_lock(&klp_mutex);
	/* klp_ops registered first: the second function joins its filter. */
	err = klp_redirect_func(&a);
	KUNIT_EXPECT_EQ(test, err, 0);
	if (!err) {
		err = klp_redirect_func(&c);
		KUNIT_EXPECT_EQ(test, err, 0);
	}
	if (!err) {
		KUNIT_EXPECT_EQ(test, klp_kunit_nr_cmds, 1);
		KUNIT_EXPECT_EQ(test, klp_kunit_cmds[0],
				FTRACE_OPS_CMD_ENABLE_SHARE_IPMODIFY_PEER);
		KUNIT_EXPECT_EQ(test, klp_kunit_call(1), 101);
		KUNIT_EXPECT_EQ(test, klp_kunit_call2(1), 201);

		klp_restore_func(&c);
		KUNIT_EXPECT_EQ(test, klp_kunit_nr_cmds, 2);
		KUNIT_EXPECT_EQ(test, klp_kunit_cmds[1],
				FTRACE_OPS_CMD_DISABLE_SHARE_IPMODIFY_PEER);
		KUNIT_EXPECT_EQ(test, klp_kunit_call2(1), 3);
	}
	if (a.patched)
		klp_restore_func(&a);
	mutex_unlock(&klp_mutex);

	/* The ops is static: keep its filter usable for the next run. */
	KUNIT_EXPECT_EQ(test, unregister_ftrace_direct(&klp_kunit_direct_ops,
						       tramp, false), 0);
	ftrace_set_filter_ip(&klp_kunit_direct_ops, ip, 1, 0);
	KUNIT_EXPECT_EQ(test, klp_kunit_call(1), 2);
}
#else
static void klp_site_direct_test(struct kunit *test)
{
	kunit_skip(test, "no ftrace direct calls on this architecture");
}
#endif

static struct kunit_case klp_site_cases[] = {
	KUNIT_CASE(klp_site_stack_test),
	KUNIT_CASE(klp_site_nop_test),
	KUNIT_CASE(klp_site_batch_test),
	KUNIT_CASE(klp_site_refused_test),
	KUNIT_CASE(klp_site_direct_test),
	{}
};

static struct kunit_suite klp_site_suite = {
	.name = "klpcore_site",
	.test_cases = klp_site_cases,
};

/* Spans --------------------------------------------------------------------- */

static void klp_spans_find_test(struct kunit *test)
{
	struct klp_spans *s;

	s = kunit_kzalloc(test, struct_size(s, span, 3), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	s->nr = 3;
	s->span[0] = (struct klp_span){ 0x1000, 0x1100, "a" };
	s->span[1] = (struct klp_span){ 0x2000, 0x2040, "b" };
	s->span[2] = (struct klp_span){ 0x2040, 0x3000, "c" };

	KUNIT_EXPECT_NULL(test, klp_spans_find(s, 0xfff));
	KUNIT_EXPECT_STREQ(test, klp_spans_find(s, 0x1000)->name, "a");
	KUNIT_EXPECT_STREQ(test, klp_spans_find(s, 0x10ff)->name, "a");
	KUNIT_EXPECT_NULL(test, klp_spans_find(s, 0x1100));
	KUNIT_EXPECT_NULL(test, klp_spans_find(s, 0x1fff));
	KUNIT_EXPECT_STREQ(test, klp_spans_find(s, 0x203f)->name, "b");
	KUNIT_EXPECT_STREQ(test, klp_spans_find(s, 0x2040)->name, "c");
	KUNIT_EXPECT_NULL(test, klp_spans_find(s, 0x3000));
	KUNIT_EXPECT_NULL(test, klp_spans_find(s, ~0UL));

	s->nr = 0;
	KUNIT_EXPECT_NULL(test, klp_spans_find(s, 0x1000));
}

static void klp_spans_build_test(struct kunit *test)
{
	struct klp_patch patch = { };
	struct klp_object obj = { };
	struct klp_func a, b;
	struct klp_spans *s;
	unsigned long mid;

	klp_kunit_func(test, &a, klp_kunit_impl_a, false);
	klp_kunit_func(test, &b, klp_kunit_impl_b, false);
	INIT_LIST_HEAD(&patch.obj_list);
	INIT_LIST_HEAD(&obj.func_list);
	list_add_tail(&obj.node, &patch.obj_list);
	list_add_tail(&b.node, &obj.func_list);

	mutex_lock(&klp_mutex);
	KUNIT_ASSERT_EQ(test, klp_redirect_func(&a), 0);
	KUNIT_ASSERT_EQ(test, klp_redirect_func(&b), 0);

	/* Only patched objects count. */
	s = klp_spans_build(&patch, KLP_TRANSITION_PATCHED);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_EXPECT_EQ(test, s->nr, 0);
	kvfree(s);

	obj.patched = true;
	s = klp_spans_build(&patch, KLP_TRANSITION_PATCHED);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_ASSERT_EQ(test, s->nr, 1);
	/* Patching b: tasks must leave a, the implementation it covers. */
	mid = (unsigned long)klp_kunit_impl_a + a.new_size / 2;
	KUNIT_EXPECT_NOT_NULL(test, klp_spans_find(s, mid));
	KUNIT_EXPECT_NULL(test, klp_spans_find(s, (unsigned long)b.new_func));
	kvfree(s);

	s = klp_spans_build(&patch, KLP_TRANSITION_UNPATCHED);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_EXPECT_NOT_NULL(test, klp_spans_find(s,
						   (unsigned long)b.new_func));
	KUNIT_EXPECT_NULL(test, klp_spans_find(s, mid));
	kvfree(s);

	klp_restore_func(&b);
	klp_restore_func(&a);
	mutex_unlock(&klp_mutex);
}

/*
 * A switch point that sees the flag and the goal of a new transition
 * with the table of the one before (a reverse publishes a new table and
 * sets the flags again) must not switch the task by the old table.
 */
static void klp_spans_stale_test(struct kunit *test)
{
	struct klp_patch patch = { };
	enum klp_hold stale, fresh, none;
	struct klp_hit hit;
	struct klp_spans *s;

	INIT_LIST_HEAD(&patch.obj_list);
	s = klp_spans_build(&patch, KLP_TRANSITION_PATCHED);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_EXPECT_EQ(test, s->goal, KLP_TRANSITION_PATCHED);

	/* Checks need what the switch points have: preemption off. */
	preempt_disable();
	stale = klp_may_leave(current, s, KLP_TRANSITION_UNPATCHED, &hit);
	fresh = klp_may_leave(current, s, KLP_TRANSITION_PATCHED, &hit);
	none = klp_may_leave(current, NULL, KLP_TRANSITION_PATCHED, &hit);
	preempt_enable();

	KUNIT_EXPECT_EQ(test, stale, KLP_HOLD_STALE);
	KUNIT_EXPECT_NE(test, fresh, KLP_HOLD_STALE);
	KUNIT_EXPECT_EQ(test, none, KLP_HOLD_UNRELIABLE);
	kvfree(s);
}

static struct kunit_case klp_spans_cases[] = {
	KUNIT_CASE(klp_spans_find_test),
	KUNIT_CASE(klp_spans_build_test),
	KUNIT_CASE(klp_spans_stale_test),
	{}
};

static struct kunit_suite klp_spans_suite = {
	.name = "klpcore_spans",
	.test_cases = klp_spans_cases,
};

/* States ---------------------------------------------------------------------- */

static void klp_state_test(struct kunit *test)
{
	struct klp_state mine[] = { { .id = 7, .version = 2 },
				    { .id = 9, .version = 1 }, { } };
	struct klp_state old_same = { .id = 7, .version = 2 };
	struct klp_state old_newer = { .id = 7, .version = 3 };
	struct klp_state old_other = { .id = 8, .version = 1 };
	struct klp_patch patch = { .states = mine };

	KUNIT_EXPECT_PTR_EQ(test, klp_get_state(&patch, 9), &mine[1]);
	KUNIT_EXPECT_NULL(test, klp_get_state(&patch, 8));
	/* The terminator (id 0) is never a state. */
	KUNIT_EXPECT_NULL(test, klp_get_state(&patch, 0));

	KUNIT_EXPECT_TRUE(test, klp_state_compatible(&patch, &old_same));
	KUNIT_EXPECT_FALSE(test, klp_state_compatible(&patch, &old_newer));
	KUNIT_EXPECT_TRUE(test, klp_state_compatible(&patch, &old_other));
	patch.replace = true;
	KUNIT_EXPECT_FALSE(test, klp_state_compatible(&patch, &old_other));

	patch.states = NULL;
	KUNIT_EXPECT_NULL(test, klp_get_state(&patch, 7));
}

static struct kunit_case klp_state_cases[] = {
	KUNIT_CASE(klp_state_test),
	{}
};

static struct kunit_suite klp_state_suite = {
	.name = "klpcore_state",
	.test_cases = klp_state_cases,
};

/* Shadow variables ------------------------------------------------------------- */

#define KLP_KUNIT_ID	0x6b756e6974UL	/* no patch uses it */

static int klp_kunit_ctor_calls;
static int klp_kunit_dtor_calls;

static int klp_kunit_ctor(void *obj, void *data, void *arg)
{
	klp_kunit_ctor_calls++;
	if (!arg)
		return -EINVAL;
	*(int *)data = *(int *)arg;
	return 0;
}

static void klp_kunit_dtor(void *obj, void *data)
{
	klp_kunit_dtor_calls++;
}

static void klp_shadow_test(struct kunit *test)
{
	int obj1, obj2, init = 42, *p, *q;

	klp_kunit_ctor_calls = 0;
	klp_kunit_dtor_calls = 0;
	KUNIT_EXPECT_NULL(test, klp_shadow_get(&obj1, KLP_KUNIT_ID));

	p = klp_shadow_alloc(&obj1, KLP_KUNIT_ID, sizeof(int), GFP_KERNEL,
			     klp_kunit_ctor, &init);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, *p, 42);
	KUNIT_EXPECT_PTR_EQ(test, klp_shadow_get(&obj1, KLP_KUNIT_ID),
			    (void *)p);
	KUNIT_EXPECT_NULL(test, klp_shadow_get(&obj1, KLP_KUNIT_ID + 1));
	KUNIT_EXPECT_NULL(test, klp_shadow_get(&obj2, KLP_KUNIT_ID));

	/* get_or_alloc finds the existing one; its ctor does not run. */
	q = klp_shadow_get_or_alloc(&obj1, KLP_KUNIT_ID, sizeof(int),
				    GFP_KERNEL, klp_kunit_ctor, &init);
	KUNIT_EXPECT_PTR_EQ(test, q, p);
	KUNIT_EXPECT_EQ(test, klp_kunit_ctor_calls, 1);

	/* Without a ctor the data starts zeroed. */
	q = klp_shadow_get_or_alloc(&obj2, KLP_KUNIT_ID, sizeof(int),
				    GFP_KERNEL, NULL, NULL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_EQ(test, *q, 0);

	/* A failing ctor attaches nothing. */
	KUNIT_EXPECT_NULL(test, klp_shadow_alloc(&obj2, KLP_KUNIT_ID + 1,
						 sizeof(int), GFP_KERNEL,
						 klp_kunit_ctor, NULL));
	KUNIT_EXPECT_NULL(test, klp_shadow_get(&obj2, KLP_KUNIT_ID + 1));

	klp_shadow_free(&obj1, KLP_KUNIT_ID, klp_kunit_dtor);
	KUNIT_EXPECT_EQ(test, klp_kunit_dtor_calls, 1);
	KUNIT_EXPECT_NULL(test, klp_shadow_get(&obj1, KLP_KUNIT_ID));
	KUNIT_EXPECT_NOT_NULL(test, klp_shadow_get(&obj2, KLP_KUNIT_ID));

	/* Freeing a missing one is a no-op. */
	klp_shadow_free(&obj1, KLP_KUNIT_ID, klp_kunit_dtor);
	KUNIT_EXPECT_EQ(test, klp_kunit_dtor_calls, 1);

	KUNIT_ASSERT_NOT_NULL(test, klp_shadow_alloc(&obj1, KLP_KUNIT_ID,
						     sizeof(int), GFP_KERNEL,
						     NULL, NULL));
	klp_shadow_free_all(KLP_KUNIT_ID, klp_kunit_dtor);
	KUNIT_EXPECT_EQ(test, klp_kunit_dtor_calls, 3);
	KUNIT_EXPECT_NULL(test, klp_shadow_get(&obj1, KLP_KUNIT_ID));
	KUNIT_EXPECT_NULL(test, klp_shadow_get(&obj2, KLP_KUNIT_ID));
}

static struct kunit_case klp_shadow_cases[] = {
	KUNIT_CASE(klp_shadow_test),
	{}
};

static struct kunit_suite klp_shadow_suite = {
	.name = "klpcore_shadow",
	.test_cases = klp_shadow_cases,
};

/* Retry policy ------------------------------------------------------------- */

/*
 * The first retries come soon and twice as late each time; from the
 * eighth on, once a second. cond_resched() becomes a switch point only
 * after a second, and only for a task on a CPU.
 */
static void klp_retry_test(struct kunit *test)
{
	unsigned long sum = 0;
	unsigned int r;

	KUNIT_EXPECT_EQ(test, klp_retry_delay(0), msecs_to_jiffies(10));
	for (r = 1; r < 7; r++) {
		KUNIT_EXPECT_GE(test, klp_retry_delay(r),
				klp_retry_delay(r - 1));
		KUNIT_EXPECT_EQ(test, klp_retry_delay(r),
				msecs_to_jiffies(10 << r));
	}
	for (r = 0; r < 7; r++)
		sum += klp_retry_delay(r);
	/* The fast rounds end within 1.3 s (plus rounding up to jiffies). */
	KUNIT_EXPECT_LE(test, sum, msecs_to_jiffies(1270) + 7);
	for (r = 7; r < 40; r += 11) {
		KUNIT_EXPECT_GE(test, klp_retry_delay(r), HZ / 2);
		KUNIT_EXPECT_LE(test, klp_retry_delay(r), 2 * HZ);
	}

	KUNIT_EXPECT_FALSE(test, klp_want_cond_resched_point(0, true));
	KUNIT_EXPECT_FALSE(test, klp_want_cond_resched_point(HZ - 1, true));
	KUNIT_EXPECT_TRUE(test, klp_want_cond_resched_point(HZ, true));
	/* Only sleepers left: the point would not help them. */
	KUNIT_EXPECT_FALSE(test, klp_want_cond_resched_point(10 * HZ, false));
}

static struct kunit_case klp_retry_cases[] = {
	KUNIT_CASE(klp_retry_test),
	{}
};

static struct kunit_suite klp_retry_suite = {
	.name = "klpcore_retry",
	.test_cases = klp_retry_cases,
};

/*
 * Walk the current stack against a table holding only this function:
 * the walk must stop here, naming it, with the address it found.
 */
static noinline enum klp_hold klp_diag_walker(struct klp_spans *s,
					      struct klp_hit *hit)
{
	enum klp_hold hold;

	preempt_disable();
	hold = klp_may_leave(current, s, KLP_TRANSITION_PATCHED, hit);
	preempt_enable();
	return hold;
}

static void klp_diag_walk_test(struct kunit *test)
{
	unsigned long start = (unsigned long)klp_diag_walker, size, off;
	char text[KSYM_SYMBOL_LEN + 32];
	struct klp_hit hit;
	struct klp_spans *s;
	enum klp_hold hold;

	KUNIT_ASSERT_TRUE(test, kallsyms_lookup_size_offset(start, &size,
							    &off));
	start -= off;
	s = kunit_kzalloc(test, struct_size(s, span, 1), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	s->goal = KLP_TRANSITION_PATCHED;
	s->nr = 1;
	s->span[0] = (struct klp_span){ start, start + size, "walker" };

	hold = klp_diag_walker(s, &hit);
	KUNIT_EXPECT_EQ(test, hold, KLP_HOLD_IN_USE);
	KUNIT_EXPECT_STREQ(test, hit.name ?: "(none)", "walker");
	KUNIT_EXPECT_GE(test, hit.addr, start);
	KUNIT_EXPECT_LT(test, hit.addr, start + size);

	klp_blocker_text(text, sizeof(text), hold, hit.addr);
	KUNIT_EXPECT_TRUE_MSG(test,
			      str_has_prefix(text, "sleeping in klp_diag_walker+0x"),
			      "text: %s", text);
}

static void klp_diag_text_test(struct kunit *test)
{
	unsigned long addr = (unsigned long)klp_kunit_target;
	char text[KSYM_SYMBOL_LEN + 32];
	char small[8];
	int len;

	/* Not a relocation into the function (objtool: "!ENDBR"). */
	OPTIMIZER_HIDE_VAR(addr);
	addr += 4;

	len = klp_blocker_text(text, sizeof(text), KLP_HOLD_RUNNING, 0);
	KUNIT_EXPECT_STREQ(test, text, "running");
	KUNIT_EXPECT_EQ(test, len, 7);

	klp_blocker_text(text, sizeof(text), KLP_HOLD_IN_USE, addr);
	KUNIT_EXPECT_TRUE_MSG(test,
			      str_has_prefix(text, "sleeping in klp_kunit_target+0x4/0x"),
			      "text: %s", text);

	klp_blocker_text(text, sizeof(text), KLP_HOLD_UNRELIABLE, 0);
	KUNIT_EXPECT_STREQ(test, text, "unreliable stack");
	klp_blocker_text(text, sizeof(text), KLP_HOLD_UNRELIABLE, addr);
	KUNIT_EXPECT_TRUE_MSG(test,
			      str_has_prefix(text, "unreliable stack after ") &&
			      str_has_prefix(text + 23, "klp_kunit_target+0x4/0x"),
			      "text: %s", text);

	KUNIT_EXPECT_EQ(test, klp_blocker_text(text, sizeof(text), KLP_GO, 0),
			0);
	KUNIT_EXPECT_STREQ(test, text, "");

	/* Cut to the buffer, still terminated. */
	len = klp_blocker_text(small, sizeof(small), KLP_HOLD_UNRELIABLE, 0);
	KUNIT_EXPECT_EQ(test, len, 7);
	KUNIT_EXPECT_STREQ(test, small, "unrelia");
}

static void klp_diag_stall_test(struct kunit *test)
{
	/* Off. */
	KUNIT_EXPECT_FALSE(test, klp_stall_due(1000 * HZ, 0, 0));
	/* The first report after @secs, the next after as long again. */
	KUNIT_EXPECT_FALSE(test, klp_stall_due(10 * HZ - 1, 0, 10));
	KUNIT_EXPECT_TRUE(test, klp_stall_due(10 * HZ, 0, 10));
	KUNIT_EXPECT_FALSE(test, klp_stall_due(15 * HZ, 10 * HZ, 10));
	KUNIT_EXPECT_TRUE(test, klp_stall_due(20 * HZ, 10 * HZ, 10));
	/* A late round makes one report, not one per period missed. */
	KUNIT_EXPECT_TRUE(test, klp_stall_due(100 * HZ, 0, 10));
	KUNIT_EXPECT_FALSE(test, klp_stall_due(101 * HZ, 100 * HZ, 10));
}

static struct kunit_case klp_diag_cases[] = {
	KUNIT_CASE(klp_diag_walk_test),
	KUNIT_CASE(klp_diag_text_test),
	KUNIT_CASE(klp_diag_stall_test),
	{}
};

static struct kunit_suite klp_diag_suite = {
	.name = "klpcore_diag",
	.test_cases = klp_diag_cases,
};

kunit_test_suites(&klp_site_suite, &klp_spans_suite, &klp_state_suite,
		  &klp_shadow_suite, &klp_retry_suite, &klp_diag_suite);
