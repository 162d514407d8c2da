// SPDX-License-Identifier: GPL-2.0
/*
 * shadow.c - shadow variables: data that a patch attaches to objects
 *
 * A patch that needs a new field in an existing structure cannot change
 * its layout; instead it attaches a shadow variable to the structure's
 * address under an id of its choice. A shadow variable lives until it is
 * freed, whichever patch allocated it: a later cumulative patch can take
 * it over.
 *
 * The variables sit in one hash table keyed by the object's address.
 * Lookups run under RCU; changes under klp_shadows_lock, a spinlock taken
 * with interrupts off (patched code may run in any context). Constructors
 * and destructors run under that lock and must not sleep.
 */

#define pr_fmt(fmt) "livepatch: " fmt

#include <linux/hashtable.h>
#include <linux/livepatch.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "internal.h"

/* 4096 buckets: a patch may shadow one field of many objects. */
static DEFINE_HASHTABLE(klp_shadows, 12);
static DEFINE_SPINLOCK(klp_shadows_lock);

/* One variable: the pair (owner, id) is its key, data[] its payload. */
struct klp_shadow_var {
	struct hlist_node hnode;
	struct rcu_head rcu;
	void *owner;
	unsigned long id;
	char data[];
};

static struct klp_shadow_var *klp_shadow_lookup(void *obj, unsigned long id)
{
	struct klp_shadow_var *sv;

	hash_for_each_possible_rcu(klp_shadows, sv, hnode, (unsigned long)obj)
		if (sv->owner == obj && sv->id == id)
			return sv;
	return NULL;
}

/**
 * klp_shadow_get() - the data of a shadow variable
 * @obj:	the object the variable is attached to
 * @id:		the variable's id
 *
 * Context: any.
 * Return: the variable's data, or NULL when there is none.
 */
void *klp_shadow_get(void *obj, unsigned long id)
{
	struct klp_shadow_var *sv;
	void *data = NULL;

	rcu_read_lock();
	sv = klp_shadow_lookup(obj, id);
	if (sv)
		data = sv->data;
	rcu_read_unlock();
	return data;
}
EXPORT_SYMBOL_GPL(klp_shadow_get);

static void *klp_shadow_attach(void *obj, unsigned long id, size_t size,
			       gfp_t gfp_flags, klp_shadow_ctor_t ctor,
			       void *ctor_data, bool may_exist)
{
	struct klp_shadow_var *fresh, *sv;
	unsigned long irqflags;
	void *data;
	int err;

	/* The common case: it is there already. */
	data = klp_shadow_get(obj, id);
	if (data)
		goto exists;

	/* Allocate outside the lock, so that the caller's gfp may sleep. */
	fresh = kzalloc(sizeof(*fresh) + size, gfp_flags);
	if (!fresh)
		return NULL;

	spin_lock_irqsave(&klp_shadows_lock, irqflags);

	/* Someone may have attached it meanwhile. */
	sv = klp_shadow_lookup(obj, id);
	if (unlikely(sv)) {
		spin_unlock_irqrestore(&klp_shadows_lock, irqflags);
		kfree(fresh);
		data = sv->data;
		goto exists;
	}

	fresh->owner = obj;
	fresh->id = id;
	err = ctor ? ctor(obj, fresh->data, ctor_data) : 0;
	if (!err)
		hash_add_rcu(klp_shadows, &fresh->hnode, (unsigned long)obj);
	spin_unlock_irqrestore(&klp_shadows_lock, irqflags);
	if (err) {
		pr_err("failed to construct shadow variable <%p, %lx> (%d)\n",
		       obj, id, err);
		kfree(fresh);
		return NULL;
	}
	return fresh->data;

exists:
	if (may_exist)
		return data;
	WARN(1, "shadow variable <%p, %lx> exists already\n", obj, id);
	return NULL;
}

/**
 * klp_shadow_alloc() - attach a new shadow variable
 * @obj:	the object to attach it to
 * @id:		the variable's id
 * @size:	size of its data
 * @gfp_flags:	how to allocate it
 * @ctor:	initializes the data, under a spinlock (optional; zeroed
 *		data otherwise)
 * @ctor_data:	passed to @ctor
 *
 * Context: as @gfp_flags allows.
 * Return: the new data; NULL (with a warning) when the variable exists
 * already, or when allocation or @ctor failed.
 */
void *klp_shadow_alloc(void *obj, unsigned long id, size_t size,
		       gfp_t gfp_flags, klp_shadow_ctor_t ctor,
		       void *ctor_data)
{
	return klp_shadow_attach(obj, id, size, gfp_flags, ctor, ctor_data,
				 false);
}
EXPORT_SYMBOL_GPL(klp_shadow_alloc);

/**
 * klp_shadow_get_or_alloc() - a shadow variable, attached if missing
 * @obj:	the object to attach it to
 * @id:		the variable's id
 * @size:	size of its data
 * @gfp_flags:	how to allocate it
 * @ctor:	initializes new data, under a spinlock (optional)
 * @ctor_data:	passed to @ctor
 *
 * Context: as @gfp_flags allows.
 * Return: the existing or new data; NULL when allocation or @ctor failed.
 */
void *klp_shadow_get_or_alloc(void *obj, unsigned long id, size_t size,
			      gfp_t gfp_flags, klp_shadow_ctor_t ctor,
			      void *ctor_data)
{
	return klp_shadow_attach(obj, id, size, gfp_flags, ctor, ctor_data,
				 true);
}
EXPORT_SYMBOL_GPL(klp_shadow_get_or_alloc);

/* Unhash one variable and free it after readers are done. Lock held. */
static void klp_shadow_drop(struct klp_shadow_var *sv, klp_shadow_dtor_t dtor)
{
	hash_del_rcu(&sv->hnode);
	if (dtor)
		dtor(sv->owner, sv->data);
	kfree_rcu(sv, rcu);
}

/**
 * klp_shadow_free() - detach and free one shadow variable
 * @obj:	the object it is attached to
 * @id:		its id
 * @dtor:	releases what the data holds, under a spinlock (optional)
 *
 * Context: any.
 */
void klp_shadow_free(void *obj, unsigned long id, klp_shadow_dtor_t dtor)
{
	struct klp_shadow_var *sv;
	unsigned long irqflags;

	spin_lock_irqsave(&klp_shadows_lock, irqflags);
	sv = klp_shadow_lookup(obj, id);
	if (sv)
		klp_shadow_drop(sv, dtor);
	spin_unlock_irqrestore(&klp_shadows_lock, irqflags);
}
EXPORT_SYMBOL_GPL(klp_shadow_free);

/**
 * klp_shadow_free_all() - detach and free every shadow variable of an id
 * @id:		the id
 * @dtor:	releases what each variable's data holds (optional)
 *
 * Context: any.
 */
void klp_shadow_free_all(unsigned long id, klp_shadow_dtor_t dtor)
{
	struct klp_shadow_var *sv;
	struct hlist_node *next;
	unsigned long irqflags;
	int bucket;

	spin_lock_irqsave(&klp_shadows_lock, irqflags);
	hash_for_each_safe(klp_shadows, bucket, next, sv, hnode)
		if (sv->id == id)
			klp_shadow_drop(sv, dtor);
	spin_unlock_irqrestore(&klp_shadows_lock, irqflags);
}
EXPORT_SYMBOL_GPL(klp_shadow_free_all);
