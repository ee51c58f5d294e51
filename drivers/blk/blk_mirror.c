/* The write-blocking mirror, the backend's side (blk_mirror.h). */
#include "drivers/blk/blk_mirror.h"

#include <string.h>

void blk_mirror_init(struct blk_mirror *m)
{
	memset(m, 0, sizeof(*m));
}

void blk_mirror_start(struct blk_mirror *m)
{
	m->on = true;
	m->taken = m->release = m->landed; /* what a mirror before held */
	m->held_total = 0;
}

bool blk_mirror_landed(struct blk_mirror *m, uint64_t id, uint8_t operation)
{
	struct blk_mirror_held *h;

	if (!m->on)
		return false;
	m->landed++;
	/* Full only if a guest had more in flight than its ring holds,
	 * which the ring never takes: answered at once, as unmirrored. */
	if (m->n == BLK_MIRROR_HELD_MAX)
		return false;
	h = &m->q[(m->head + m->n++) % BLK_MIRROR_HELD_MAX];
	*h = (struct blk_mirror_held){id, operation, m->landed};
	m->held_total++;
	return true;
}

void blk_mirror_taken_all(struct blk_mirror *m)
{
	m->taken = m->landed;
}

void blk_mirror_sent(struct blk_mirror *m)
{
	m->release = m->taken;
}

void blk_mirror_stop(struct blk_mirror *m)
{
	m->on = false;
	m->release = UINT64_MAX;
}

void blk_mirror_forget(struct blk_mirror *m)
{
	m->head = m->n = 0;
}

bool blk_mirror_next(struct blk_mirror *m, uint64_t *id_r, uint8_t *operation_r)
{
	const struct blk_mirror_held *h = &m->q[m->head];

	if (!m->n || h->seq > m->release)
		return false;
	*id_r = h->id;
	*operation_r = h->operation;
	m->head = (m->head + 1) % BLK_MIRROR_HELD_MAX;
	m->n--;
	return true;
}
