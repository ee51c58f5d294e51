/* libFuzzer: the live migration's control channel (drivers/blk/blk_ctl.c)
 * from both ends. A backend is the part of a node a hostile guest could
 * take over, so blanketd trusts none of its replies: the input's first
 * part is what a backend answers, read by blanketd's side (blk_ctl_call)
 * until it refuses; it must never return more values than a reply holds.
 * The rest drives the backend's side: 8-byte requests, with writes marked
 * between them (blk_ctl_handle, blk_ctl_written); a reply must fit its
 * buffer, every chunk TAKE names must lie in the image, and the mirror
 * must let each response it held go once, in order, all of them once the
 * channel ends. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "drivers/blk/blk_ctl.h"
#include "drivers/blk/blk_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct blk_ctl_reply reply;

/* blanketd's side: up to 64 round trips over what a backend wrote. */
static void read_replies(const uint8_t *data, size_t len)
{
	char err[BL_ERRMSG_MAX];
	int sv[2];

	if (len > 65536 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return;
	/* The requests blanketd sends are read by nobody: room for them. */
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &(int){1 << 20}, sizeof(int));
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &(int){1 << 20}, sizeof(int));
	if (write(sv[1], data, len) != (ssize_t)len) {
		close(sv[0]);
		close(sv[1]);
		return;
	}
	shutdown(sv[1], SHUT_WR);
	for (int i = 0; i < 64; i++) {
		int rc = blk_ctl_call(sv[0], BLK_CTL_TAKE, BLK_CTL_VALUES_MAX,
				      1000, &reply, err, sizeof(err));

		if (reply.n > BLK_CTL_VALUES_MAX && rc == BL_OK)
			abort();
		if (rc && rc != reply.status)
			break;
	}
	close(sv[0]);
	close(sv[1]);
}

/* The backend's side, for an image of 1 to 65536 sectors. */
static void serve_requests(const uint8_t *data, size_t len)
{
	struct blk_ctl c;
	uint64_t sectors, chunks, held = 0, released = 0, id;
	int64_t last = -1; /* the id released last: they go in order */
	uint8_t op;
	size_t out;

	if (len < 2)
		return;
	sectors = 1 + ((uint64_t)data[0] << 8 | data[1]);
	chunks = ((sectors - 1) >> BLK_CTL_CHUNK_SHIFT) + 1;
	blk_ctl_init(&c, sectors);
	for (size_t at = 2; at + BLK_CTL_REQ_LEN <= len;
	     at += BLK_CTL_REQ_LEN + 4) {
		blk_ctl_handle(&c, data + at, BLK_CTL_REQ_LEN, &reply, &out);
		if (out > sizeof(reply) || reply.n > BLK_CTL_VALUES_MAX)
			abort();
		for (uint32_t i = 0; reply.status == BL_OK && i < reply.n &&
				     data[at] == BLK_CTL_TAKE;
		     i++)
			if (reply.v[i] >= chunks)
				abort();
		/* A write after each request, where the next 4 bytes say. */
		if (at + BLK_CTL_REQ_LEN + 4 <= len) {
			const uint8_t *w = data + at + BLK_CTL_REQ_LEN;
			uint64_t s = ((uint64_t)w[0] << 8 | w[1]) % sectors;
			uint64_t n = 1 + ((uint64_t)w[2] << 8 | w[3]);

			if (n > sectors - s)
				n = sectors - s;
			held += blk_ctl_written(&c, s, n, at, BLKIF_OP_WRITE);
		}
		while (blk_mirror_next(&c.mirror, &id, &op)) {
			if ((int64_t)id <= last || ++released > held)
				abort();
			last = (int64_t)id;
		}
	}
	blk_ctl_closed(&c);
	while (blk_mirror_next(&c.mirror, &id, &op))
		released++;
	if (released != held)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t split;

	if (size < 2)
		return 0;
	split = ((size_t)data[0] << 8 | data[1]) % size;
	read_replies(data + 2, split > 2 ? split - 2 : 0);
	serve_requests(data + split, size - split);
	return 0;
}
