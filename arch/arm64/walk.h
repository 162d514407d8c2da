/* SPDX-License-Identifier: GPL-2.0 */
/*
 * walk.h - the arm64 walk's state, shared with its KUnit cases
 */
#ifndef _KLPCORE_ARM64_WALK_H
#define _KLPCORE_ARM64_WALK_H

#include <linux/llist.h>
#include <linux/sched.h>

/**
 * struct klp_arm64_stack - what a walk knows about the stack it walks
 * @task:	the task whose stack it is (return address recovery)
 * @low:	lowest address of the stack
 * @high:	one past its highest address
 * @final:	address of the final frame record, in the task's pt_regs
 * @graph_idx:	ftrace_graph_ret_addr()'s position in @task's return stack
 * @kr_cur:	kretprobe_find_ret_addr()'s position in @task's instances
 */
struct klp_arm64_stack {
	struct task_struct *task;
	unsigned long low;
	unsigned long high;
	unsigned long final;
	int graph_idx;
	struct llist_node *kr_cur;
};

int klp_arm64_walk_records(struct klp_arm64_stack *stk, unsigned long fp,
			   unsigned long pc, klp_walk_fn fn, void *cookie);

#endif /* _KLPCORE_ARM64_WALK_H */
