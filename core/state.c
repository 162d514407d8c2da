// SPDX-License-Identifier: GPL-2.0
/*
 * state.c - system states that live patches declare they change
 *
 * A patch lists the states it modifies (id, version). A newer patch may
 * be installed only if it can take over every state that the installed
 * patches changed: a version at least as new, and, for a replacing patch,
 * every state at all (nothing would be left to maintain it otherwise).
 */

#define pr_fmt(fmt) "livepatch: " fmt

#include <kunit/visibility.h>
#include <linux/livepatch.h>

#include "internal.h"

/* A patch's states: an array ended by id 0, or none at all. */
static struct klp_state *klp_next_state(struct klp_patch *patch,
					struct klp_state *state)
{
	state = state ? state + 1 : patch->states;
	return state && state->id ? state : NULL;
}

/**
 * klp_get_state() - a state that a patch declares
 * @patch:	the patch, typically the caller's own
 * @id:		the state's id
 *
 * Return: the state, or NULL when @patch does not declare it.
 */
struct klp_state *klp_get_state(struct klp_patch *patch, unsigned long id)
{
	struct klp_state *state;

	for (state = klp_next_state(patch, NULL); state;
	     state = klp_next_state(patch, state))
		if (state->id == id)
			return state;
	return NULL;
}
EXPORT_SYMBOL_GPL(klp_get_state);

/**
 * klp_get_prev_state() - the state as the installed patches left it
 * @id:		the state's id
 *
 * For the callbacks of the patch in transition: the declaration of @id
 * by the newest of the patches installed before it.
 *
 * Context: a callback of the patch in transition (klp_mutex held).
 * Return: the state, or NULL when no earlier patch declares it.
 */
struct klp_state *klp_get_prev_state(unsigned long id)
{
	struct klp_patch *newest = klp_transition_patch, *older;
	struct klp_state *found = NULL, *decl;

	if (WARN_ON_ONCE(!newest))
		return NULL;

	/* klp_patches is oldest first: the last declaration wins. */
	list_for_each_entry(older, &klp_patches, list) {
		if (older == newest)
			break;
		decl = klp_get_state(older, id);
		found = decl ?: found;
	}
	return found;
}
EXPORT_SYMBOL_GPL(klp_get_prev_state);

/*
 * May @patch take over a state that an installed patch declares? Only
 * with a version at least as new; and a replacing patch must declare
 * every installed state, as nothing else would maintain it.
 */
VISIBLE_IF_KUNIT
bool klp_state_compatible(struct klp_patch *patch, struct klp_state *old)
{
	struct klp_state *mine = klp_get_state(patch, old->id);

	if (!mine)
		return !patch->replace;
	return mine->version >= old->version;
}

/**
 * klp_states_compatible() - may this patch join the installed ones?
 * @patch:	the patch about to be enabled
 *
 * Context: klp_mutex.
 * Return: true when @patch can take over every installed state.
 */
bool klp_states_compatible(struct klp_patch *patch)
{
	struct klp_patch *installed;
	struct klp_state *old;

	klp_for_each_patch(installed)
		for (old = klp_next_state(installed, NULL); old;
		     old = klp_next_state(installed, old))
			if (!klp_state_compatible(patch, old))
				return false;
	return true;
}
