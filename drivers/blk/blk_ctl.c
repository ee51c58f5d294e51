/* The control channel between blanketd and a disk's backend (blk_ctl.h). */
#include "drivers/blk/blk_ctl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "toolstack/common/fdio.h"

void blk_ctl_init(struct blk_ctl *c, uint64_t sectors)
{
	memset(c, 0, sizeof(*c));
	c->sectors = sectors;
	blk_mirror_init(&c->mirror);
}

static void stop_tracking(struct blk_ctl *c)
{
	blk_mirror_stop(&c->mirror);
	if (c->tracking)
		blk_dirty_dispose(&c->dirty);
	c->tracking = false;
}

void blk_ctl_handle(struct blk_ctl *c, const void *req, size_t len,
		    struct blk_ctl_reply *reply, size_t *len_r)
{
	struct blk_ctl_req r;
	uint64_t chunk, sector, n;

	reply->status = BL_OK;
	reply->n = 0;
	if (len != BLK_CTL_REQ_LEN) {
		reply->status = BL_ERR_PROTO;
		goto out;
	}
	memcpy(&r, req, sizeof(r));
	switch (r.op) {
	case BLK_CTL_INFO:
		reply->v[0] = c->sectors;
		reply->v[1] = 1ull << BLK_CTL_CHUNK_SHIFT;
		reply->n = 2;
		break;
	case BLK_CTL_TRACK:
		stop_tracking(c);
		reply->status =
		    blk_dirty_init(&c->dirty, c->sectors, BLK_CTL_CHUNK_SHIFT);
		c->tracking = reply->status == BL_OK;
		break;
	case BLK_CTL_TAKE:
		if (!c->tracking) {
			reply->status = BL_ERR_INVAL;
			break;
		}
		while (reply->n < r.arg && reply->n < BLK_CTL_VALUES_MAX &&
		       blk_dirty_take(&c->dirty, 0, &chunk, &sector, &n))
			reply->v[reply->n++] = chunk;
		if (!c->dirty.count)
			blk_mirror_taken_all(&c->mirror);
		break;
	case BLK_CTL_MIRROR:
		if (!c->tracking)
			reply->status = BL_ERR_INVAL;
		else
			blk_mirror_start(&c->mirror);
		break;
	case BLK_CTL_SENT:
		blk_mirror_sent(&c->mirror);
		reply->v[0] = c->mirror.held_total;
		reply->n = 1;
		break;
	case BLK_CTL_QUIESCE:
		c->quiesced = true;
		break;
	case BLK_CTL_RESUME:
		c->quiesced = false;
		stop_tracking(c);
		break;
	default:
		reply->status = BL_ERR_INVAL;
	}
out:
	*len_r = BLK_CTL_REPLY_HEAD + reply->n * sizeof(reply->v[0]);
}

bool blk_ctl_written(struct blk_ctl *c, uint64_t sector, uint64_t nsectors,
		     uint64_t id, uint8_t operation)
{
	if (!c->tracking)
		return false;
	blk_dirty_mark(&c->dirty, sector, nsectors);
	return blk_mirror_landed(&c->mirror, id, operation);
}

void blk_ctl_closed(struct blk_ctl *c)
{
	c->quiesced = false;
	stop_tracking(c);
}

void blk_ctl_path(char *buf, size_t len, const char *dir, uint32_t domid,
		  uint32_t devid)
{
	snprintf(buf, len, "%s/%u-%u", dir, domid, devid);
}

int blk_ctl_connect(const char *dir, uint32_t domid, uint32_t devid, int *fd_r,
		    char *err, size_t errlen)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd;

	blk_ctl_path(a.sun_path, sizeof(a.sun_path), dir, domid, devid);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return BL_ERR_IO;
	}
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		snprintf(err, errlen, "no backend answers at %s: %s",
			 a.sun_path, strerror(errno));
		close(fd);
		return BL_ERR_NOTFOUND;
	}
	*fd_r = fd;
	return BL_OK;
}

int blk_ctl_call(int fd, uint32_t op, uint32_t arg, int timeout_ms,
		 struct blk_ctl_reply *reply, char *err, size_t errlen)
{
	struct blk_ctl_req r = {op, arg};
	int64_t deadline = fdio_now_ms() + timeout_ms;
	size_t got;
	int rc = fdio_write(fd, &r, sizeof(r), deadline);

	if (!rc)
		rc = fdio_read(fd, reply, BLK_CTL_REPLY_HEAD, deadline, &got);
	if (!rc && reply->n > BLK_CTL_VALUES_MAX)
		rc = BL_ERR_PROTO;
	if (!rc && reply->n)
		rc = fdio_read(fd, reply->v, reply->n * sizeof(reply->v[0]),
			       deadline, &got);
	if (rc) {
		snprintf(err, errlen, "the disk's backend: %s",
			 bl_strerror(rc));
		return rc;
	}
	if (reply->status)
		snprintf(err, errlen, "the disk's backend refused: %s",
			 bl_strerror(reply->status));
	return reply->status;
}
