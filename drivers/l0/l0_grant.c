// SPDX-License-Identifier: GPL-2.0
/*
 * blanket-l0's grant references: this guest's (the blanket hypervisor's)
 * grant table at the L0, version 1 entries, whose first frame the
 * hypervisor maps for dom0 (BLANKET_L0_grant_setup), mapped by its machine
 * frame (l0_map_frame()). The frames a grant names are dom0's
 * machine frames: they are the L0's frames of this guest. One frame of
 * entries so far: 512 references, the first 8 the L0 toolstack's.
 */
#include <linux/bitmap.h>
#include <linux/spinlock.h>
#include <asm/barrier.h>

#include "l0.h"

#define NR_REFS (PAGE_SIZE / sizeof(struct grant_entry_v1))

static struct grant_entry_v1 *entries;
static DECLARE_BITMAP(used, NR_REFS);
static DEFINE_SPINLOCK(used_lock);

int l0_grant_init(void)
{
	u64 frame;
	long rc = l0_op(BLANKET_L0_grant_setup, 1, &frame);

	if (rc < 0)
		return rc;
	entries = l0_map_frame(frame);
	if (!entries)
		return -ENOMEM;
	bitmap_set(used, 0, GNTTAB_NR_RESERVED_ENTRIES);
	pr_info("blanket-l0: L0 grant frame 0 at %#llx (%ld frames at most)\n",
		frame, rc);
	return 0;
}

void l0_grant_exit(void)
{
	l0_unmap_frame(entries);
}

int l0_grant_access(domid_t domid, unsigned long mfn, bool readonly)
{
	unsigned long ref, flags;

	if (mfn > U32_MAX)
		return -ERANGE;
	/* The frontends' event handlers end grants in interrupt context. */
	spin_lock_irqsave(&used_lock, flags);
	ref = find_first_zero_bit(used, NR_REFS);
	if (ref < NR_REFS)
		__set_bit(ref, used);
	spin_unlock_irqrestore(&used_lock, flags);
	if (ref == NR_REFS)
		return -ENOSPC;

	entries[ref].domid = domid;
	entries[ref].frame = mfn;
	/* The L0 must see domid and frame before the entry is valid. */
	wmb();
	WRITE_ONCE(entries[ref].flags,
		   GTF_permit_access | (readonly ? GTF_readonly : 0));
	return ref;
}

int l0_grant_end(grant_ref_t ref)
{
	unsigned long lock_flags;
	u16 flags;

	if (ref < GNTTAB_NR_RESERVED_ENTRIES || ref >= NR_REFS)
		return -EINVAL;
	/* As gnttab_end_foreign_access_ref(): never while it is mapped. */
	do {
		flags = READ_ONCE(entries[ref].flags);
		if (flags & (GTF_reading | GTF_writing))
			return -EBUSY;
	} while (cmpxchg(&entries[ref].flags, flags, 0) != flags);

	spin_lock_irqsave(&used_lock, lock_flags);
	__clear_bit(ref, used);
	spin_unlock_irqrestore(&used_lock, lock_flags);
	return 0;
}
