// SPDX-License-Identifier: GPL-2.0
/*
 * sysfs.c - /sys/kernel/livepatch, as Linux 6.12 lays it out
 *
 *   /sys/kernel/livepatch/<patch>/enabled          rw  1/0; writing the
 *                                                      opposite value of a
 *                                                      transition reverses it
 *   /sys/kernel/livepatch/<patch>/transition       r   1 while in transition
 *   /sys/kernel/livepatch/<patch>/force            w   1 completes a
 *                                                      transition by force
 *   /sys/kernel/livepatch/<patch>/replace          r   atomic replace patch
 *   /sys/kernel/livepatch/<patch>/pending_tasks    r   tasks not yet switched
 *                                                      at the last check
 *                                                      (klpcore; 0 outside
 *                                                      a transition)
 *   /sys/kernel/livepatch/<patch>/<object>/patched r   object is patched
 *   /sys/kernel/livepatch/<patch>/<object>/<function,sympos>/
 */

#define pr_fmt(fmt) "livepatch: " fmt

#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "internal.h"

struct kobject *klp_sysfs_root;

static struct klp_patch *to_patch(struct kobject *kobj)
{
	return container_of(kobj, struct klp_patch, kobj);
}

/* Attribute methods: kobj is the patch's, object's or function's own. */

static ssize_t enabled_store(struct kobject *kobj, struct kobj_attribute *a,
			     const char *page, size_t len)
{
	struct klp_patch *patch = to_patch(kobj);
	bool want;
	int err;

	err = kstrtobool(page, &want);
	if (err)
		return err;

	mutex_lock(&klp_mutex);
	if (patch->enabled == want)
		err = -EINVAL;		/* already so, or on its way */
	else if (patch == klp_transition_patch)
		klp_transition_reverse();
	else if (!want)
		err = klp_disable_patch_locked(patch);
	else
		err = -EINVAL;		/* a disabled patch stays disabled */
	mutex_unlock(&klp_mutex);

	return err ?: len;
}

static ssize_t enabled_show(struct kobject *kobj, struct kobj_attribute *a,
			    char *page)
{
	return sysfs_emit(page, "%d\n", to_patch(kobj)->enabled);
}

static ssize_t transition_show(struct kobject *kobj, struct kobj_attribute *a,
			       char *page)
{
	return sysfs_emit(page, "%d\n",
			  to_patch(kobj) == READ_ONCE(klp_transition_patch));
}

static ssize_t force_store(struct kobject *kobj, struct kobj_attribute *a,
			   const char *page, size_t len)
{
	struct klp_patch *patch = to_patch(kobj);
	bool force;
	int err;

	err = kstrtobool(page, &force);
	if (err || !force)
		return err ?: len;

	mutex_lock(&klp_mutex);
	if (patch == klp_transition_patch) {
		klp_transition_force();
		klp_transition_try_finish();
	} else {
		err = -EINVAL;
	}
	mutex_unlock(&klp_mutex);

	return err ?: len;
}

static ssize_t replace_show(struct kobject *kobj, struct kobj_attribute *a,
			    char *page)
{
	return sysfs_emit(page, "%d\n", to_patch(kobj)->replace);
}

static ssize_t pending_tasks_show(struct kobject *kobj,
				  struct kobj_attribute *a, char *page)
{
	return sysfs_emit(page, "%u\n", klp_diag_pending(to_patch(kobj)));
}

static struct kobj_attribute enabled_attr = __ATTR_RW(enabled);
static struct kobj_attribute transition_attr = __ATTR_RO(transition);
static struct kobj_attribute force_attr = __ATTR_WO(force);
static struct kobj_attribute replace_attr = __ATTR_RO(replace);
static struct kobj_attribute pending_tasks_attr = __ATTR_RO(pending_tasks);

static struct attribute *patch_dir_attrs[] = {
	&enabled_attr.attr,
	&transition_attr.attr,
	&force_attr.attr,
	&replace_attr.attr,
	&pending_tasks_attr.attr,
	NULL
};
ATTRIBUTE_GROUPS(patch_dir);

static ssize_t patched_show(struct kobject *kobj, struct kobj_attribute *a,
			    char *page)
{
	struct klp_object *obj = container_of(kobj, struct klp_object, kobj);

	return sysfs_emit(page, "%d\n", obj->patched ? 1 : 0);
}

static struct kobj_attribute patched_attr = __ATTR_RO(patched);

static struct attribute *object_dir_attrs[] = {
	&patched_attr.attr,
	NULL
};
ATTRIBUTE_GROUPS(object_dir);

/* The patch's memory is the module's: only tell the waiter it is unused. */
static void klp_patch_release(struct kobject *kobj)
{
	complete(&to_patch(kobj)->finish);
}

/* Objects and functions made for an atomic replace are ours to free. */
static void klp_object_release(struct kobject *kobj)
{
	struct klp_object *obj = container_of(kobj, struct klp_object, kobj);

	if (obj->dynamic) {
		kfree(obj->name);
		kfree(obj);
	}
}

static void klp_func_release(struct kobject *kobj)
{
	struct klp_func *func = container_of(kobj, struct klp_func, kobj);

	if (func->nop) {
		kfree(func->old_name);
		kfree(func);
	}
}

/* All three use the generic kobj_attribute show/store dispatch. */
const struct kobj_type klp_patch_ktype = {
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= patch_dir_groups,
	.release	= klp_patch_release,
};

const struct kobj_type klp_object_ktype = {
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= object_dir_groups,
	.release	= klp_object_release,
};

const struct kobj_type klp_func_ktype = {
	.sysfs_ops	= &kobj_sysfs_ops,
	.release	= klp_func_release,
};
