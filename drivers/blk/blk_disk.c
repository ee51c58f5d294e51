/* One guest disk's backend process (blk_disk.h).
 *
 * Nodes it reads under backend/vbd/DOMID/DEVID: params (the image), mode,
 * frontend, online, state; under the frontend: state, protocol,
 * ring-ref or ring-page-order and ring-refN, event-channel. Nodes it
 * writes: state, the disk's description and features (publish), error. */
#include "drivers/blk/blk_disk.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xen/io/protocols.h>
#include <xenevtchn.h>
#include <xenstore.h>

#include "drivers/blk/blk_batch.h"
#include "drivers/blk/blk_ctl.h"
#include "drivers/blk/blk_grant.h"
#include "drivers/blk/blk_image.h"
#include "drivers/blk/blk_ring.h"
#include "drivers/blk/blk_xenbus.h"
#include "toolstack/common/fdio.h"
#include "toolstack/common/log.h"
#include "toolstack/common/sandbox.h"

#define MAX_RING_ORDER 4
#define PATH_MAX_LEN   128

struct disk {
	uint32_t domid, devid;
	struct xs_handle *xs;
	char back[PATH_MAX_LEN], front[PATH_MAX_LEN];
	char img_path[PATH_MAX_LEN + 128];
	struct blk_image img;
	struct blk_features f;
	struct blk_grant g;
	xenevtchn_handle *xce;
	int port; /* ours, bound to the frontend's; -1 when none */
	void *ring_mem;
	unsigned int ring_pages;
	struct blk_ring ring;
	uint64_t io_errors;
	/* blanketd's control channel (blk_ctl.h): listening, and the one
	 * connection it serves (-1: none) */
	int ctl_listen, ctl_fd;
	struct blk_ctl ctl;
	bool ring_waiting;	/* requests may wait: serve the ring */
	struct blk_batch batch; /* the requests a look at the ring took */
};

/* The nodes publish() writes, and reset() removes. */
static const char *const published[] = {
    "sectors",
    "sector-size",
    "info",
    "feature-flush-cache",
    "feature-discard",
    "discard-granularity",
    "discard-alignment",
    "discard-secure",
    "max-ring-page-order",
    "feature-persistent",
    "feature-max-indirect-segments",
};

/* --- xenstore --- */

/* dir/node, malloc'd, or NULL when absent. */
static char *read_node(struct disk *d, const char *dir, const char *node)
{
	char path[PATH_MAX_LEN + 64];
	unsigned int len;

	snprintf(path, sizeof(path), "%s/%s", dir, node);
	return xs_read(d->xs, XBT_NULL, path, &len);
}

/* text as a decimal number of at most max. */
static bool parse_number(const char *text, unsigned long long max,
			 unsigned long long *v_r)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-' || v > max)
		return false;
	*v_r = v;
	return true;
}

/* dir/node as a number of at most max; false when absent or not one. */
static bool read_number(struct disk *d, const char *dir, const char *node,
			unsigned long long max, unsigned long long *v_r)
{
	char *text = read_node(d, dir, node);
	bool ok = text && parse_number(text, max, v_r);

	free(text);
	return ok;
}

__attribute__((format(printf, 4, 5))) static bool
write_node(struct disk *d, xs_transaction_t t, const char *node,
	   const char *fmt, ...)
{
	char path[PATH_MAX_LEN + 64], value[128];
	va_list ap;

	snprintf(path, sizeof(path), "%s/%s", d->back, node);
	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	return xs_write(d->xs, t, path, value, strlen(value));
}

static void set_state(struct disk *d, int state)
{
	if (!write_node(d, XBT_NULL, "state", "%d", state))
		log_warn("%s: writing state %s", d->back,
			 blk_xb_state_name(state));
}

/* --- the handshake's actions --- */

static bool publish(struct disk *d)
{
	xs_transaction_t t;
	bool ok;

	do {
		t = xs_transaction_start(d->xs);
		if (t == XBT_NULL)
			return false;
		ok =
		    write_node(d, t, "sectors", "%" PRIu64, d->img.sectors) &&
		    write_node(d, t, "sector-size", "%u", BLK_SECTOR) &&
		    write_node(d, t, "info", "%u",
			       d->f.readonly ? VDISK_READONLY : 0) &&
		    write_node(d, t, "feature-flush-cache", "%d", d->f.flush) &&
		    write_node(d, t, "feature-discard", "%d", d->f.discard) &&
		    write_node(d, t, "discard-granularity", "%u", BLK_PAGE) &&
		    write_node(d, t, "discard-alignment", "0") &&
		    write_node(d, t, "discard-secure", "0") &&
		    write_node(d, t, "max-ring-page-order", "%d",
			       MAX_RING_ORDER) &&
		    write_node(d, t, "feature-persistent", "0") &&
		    write_node(d, t, "feature-max-indirect-segments", "%u",
			       BLK_MAX_SEGS);
		if (!ok) {
			xs_transaction_end(d->xs, t, true);
			return false;
		}
	} while (!xs_transaction_end(d->xs, t, false) && errno == EAGAIN);
	return true;
}

static void reset(struct disk *d)
{
	char path[PATH_MAX_LEN + 64];

	for (size_t i = 0; i < sizeof(published) / sizeof(published[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", d->back, published[i]);
		xs_rm(d->xs, XBT_NULL, path);
	}
}

static void disconnect(struct disk *d)
{
	if (d->port >= 0)
		xenevtchn_unbind(d->xce, (evtchn_port_t)d->port);
	d->port = -1;
	blk_mirror_forget(&d->ctl.mirror);
	blk_grant_unmap_ring(&d->g, d->ring_mem, d->ring_pages);
	d->ring_mem = NULL;
}

/* The frontend's ring and event channel, mapped and bound. */
static int connect_ring(struct disk *d, char *err, size_t errlen)
{
	uint32_t refs[1u << MAX_RING_ORDER];
	unsigned long long order = 0, v, remote;
	char *protocol = read_node(d, d->front, "protocol"), *text;
	char node[32];
	int port;

	if (protocol && strcmp(protocol, XEN_IO_PROTO_ABI_X86_64)) {
		snprintf(err, errlen, "protocol \"%.40s\": only %s is served",
			 protocol, XEN_IO_PROTO_ABI_X86_64);
		free(protocol);
		return BL_ERR_INVAL;
	}
	free(protocol);
	text = read_node(d, d->front, "ring-page-order");
	if (text && !parse_number(text, MAX_RING_ORDER, &order)) {
		snprintf(err, errlen, "ring-page-order \"%.40s\": 0 to %d",
			 text, MAX_RING_ORDER);
		free(text);
		return BL_ERR_INVAL;
	}
	if (text) {
		free(text);
		for (unsigned int i = 0; i < (1u << order); i++) {
			snprintf(node, sizeof(node), "ring-ref%u", i);
			if (!read_number(d, d->front, node, UINT32_MAX, &v)) {
				snprintf(err, errlen, "no %s/%s", d->front,
					 node);
				return BL_ERR_INVAL;
			}
			refs[i] = (uint32_t)v;
		}
	} else if (read_number(d, d->front, "ring-ref", UINT32_MAX, &v)) {
		refs[0] = (uint32_t)v;
	} else {
		snprintf(err, errlen, "no %s/ring-ref", d->front);
		return BL_ERR_INVAL;
	}
	if (!read_number(d, d->front, "event-channel", UINT32_MAX, &remote)) {
		snprintf(err, errlen, "no %s/event-channel", d->front);
		return BL_ERR_INVAL;
	}
	d->ring_pages = 1u << order;
	d->ring_mem = blk_grant_map_ring(&d->g, refs, d->ring_pages);
	if (!d->ring_mem) {
		snprintf(err, errlen, "mapping the ring's %u pages: %s",
			 d->ring_pages, strerror(errno));
		return BL_ERR_IO;
	}
	if (blk_ring_attach(&d->ring, d->ring_mem, d->ring_pages * BLK_PAGE,
			    &d->f, d->img.sectors)) {
		disconnect(d);
		snprintf(err, errlen, "a ring of %u pages", d->ring_pages);
		return BL_ERR_INVAL;
	}
	port =
	    xenevtchn_bind_interdomain(d->xce, d->domid, (evtchn_port_t)remote);
	if (port < 0) {
		disconnect(d);
		snprintf(err, errlen, "binding event channel %llu: %s", remote,
			 strerror(errno));
		return BL_ERR_IO;
	}
	d->port = port;
	return BL_OK;
}

/* The handshake, step after step until it settles. BL_ERR_EOF when the
 * disk is gone and the process should end. */
static int handshake(struct disk *d)
{
	char err[BL_ERRMSG_MAX];
	unsigned long long v;
	struct blk_xb_view view;
	struct blk_xb_step s;

	for (;;) {
		view.front = read_number(d, d->front, "state", 255, &v)
				 ? (int)v
				 : BLK_XB_FRONT_GONE;
		view.back = read_number(d, d->back, "state", 255, &v)
				? (int)v
				: XenbusStateUnknown;
		view.online = read_number(d, d->back, "online", 1, &v) && v;
		view.connected = d->ring_mem != NULL;
		s = blk_xb_next(&view);
		if (s.why)
			log_warnx("%s: frontend %s: %s", d->back,
				  blk_xb_state_name(view.front), s.why);
		if (s.disconnect)
			disconnect(d);
		if (s.reset)
			reset(d);
		if (s.publish && !publish(d))
			log_warn("%s: publishing the disk", d->back);
		if (s.connect && connect_ring(d, err, sizeof(err))) {
			log_warnx("%s: %s", d->back, err);
			write_node(d, XBT_NULL, "error", "%s", err);
			s.back = XenbusStateClosing;
		} else if (s.connect) {
			log_info("%s: connected: %u-page ring, %" PRIu64
				 " sectors%s",
				 d->back, d->ring_pages, d->img.sectors,
				 d->f.readonly ? ", read-only" : "");
		}
		if (s.back >= 0)
			set_state(d, s.back);
		if (s.exit) {
			log_info("%s: the frontend is %s: done", d->back,
				 blk_xb_state_name(view.front));
			return BL_ERR_EOF;
		}
		if (!s.publish && !s.connect && !s.disconnect && !s.reset &&
		    s.back < 0)
			return BL_OK;
	}
}

/* --- requests --- */

/* A request failed: counted, and logged at powers of two so that a guest
 * cannot flood the log. */
static void failed(struct disk *d, const struct blk_req *req, const char *why)
{
	d->io_errors++;
	if ((d->io_errors & (d->io_errors - 1)) == 0)
		log_warnx("%s: request at sector %" PRIu64 " failed (%" PRIu64
			  " so far): %s",
			  d->back, req->sector, d->io_errors, why);
}

/* Serve the batch, and answer each of its requests. */
static void serve_batch(struct disk *d)
{
	blk_batch_serve(&d->batch, &d->g, &d->img);
	for (unsigned int i = 0; i < d->batch.n; i++) {
		const struct blk_batch_item *it = &d->batch.item[i];

		if (it->refused) {
			blk_ring_refuse(&d->ring, &it->req, it->status,
					it->why);
			continue;
		}
		if (it->status)
			failed(d, &it->req, it->why);
		else if (blk_batch_wrote(it) &&
			 blk_ctl_written(&d->ctl, it->req.sector,
					 it->req.nsectors, it->req.id,
					 it->req.operation))
			continue; /* answered once blanketd sent it */
		blk_ring_respond(&d->ring, it->req.id, it->req.operation,
				 it->status);
	}
	blk_batch_init(&d->batch);
}

/* A request taken off the ring joins the batch; a full batch is served
 * first (an empty one takes any request). */
static void take_request(void *arg, const struct blk_req *req)
{
	struct disk *d = arg;

	while (!blk_batch_add(&d->batch, req))
		serve_batch(d);
}

/* Serve what the ring holds until it is empty. */
static void serve_ring(struct disk *d)
{
	char err[BL_ERRMSG_MAX];
	uint64_t refused = d->ring.refused;
	unsigned int n;

	do {
		if (blk_ring_take(&d->ring, take_request, d, &n, err,
				  sizeof(err))) {
			log_warnx("%s: %s: the ring is served no more", d->back,
				  err);
			write_node(d, XBT_NULL, "error", "%s", err);
			disconnect(d);
			set_state(d, XenbusStateClosing);
			return;
		}
		serve_batch(d);
		if (blk_ring_push(&d->ring))
			xenevtchn_notify(d->xce, (evtchn_port_t)d->port);
	} while (blk_ring_final_check(&d->ring));
	for (uint64_t k = refused + 1; k <= d->ring.refused; k++)
		if ((k & (k - 1)) == 0)
			log_warnx("%s: request refused (%" PRIu64
				  " so far): %s",
				  d->back, k, d->ring.last_refusal);
}

/* --- blanketd's control channel --- */

/* BLK_CTL_DIR/DOMID-DEVID, listening; made before the process confines
 * itself (it may make no socket afterwards). */
static int open_ctl(struct disk *d, char *err, size_t errlen)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};

	if (mkdir("/run/blanket", 0700) < 0 && errno != EEXIST)
		goto fail;
	if (mkdir(BLK_CTL_DIR, 0700) < 0 && errno != EEXIST)
		goto fail;
	blk_ctl_path(a.sun_path, sizeof(a.sun_path), BLK_CTL_DIR, d->domid,
		     d->devid);
	unlink(a.sun_path);
	d->ctl_listen =
	    socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (d->ctl_listen < 0 ||
	    bind(d->ctl_listen, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(d->ctl_listen, 1) < 0)
		goto fail;
	return BL_OK;
fail:
	snprintf(err, errlen, "the control socket %s/%u-%u: %s", BLK_CTL_DIR,
		 d->domid, d->devid, strerror(errno));
	return BL_ERR_IO;
}

/* The responses the mirror lets go, given and published; the ring takes
 * requests again (it may have been full of held ones). */
static void release_held(struct disk *d)
{
	uint64_t id;
	uint8_t operation;
	bool any = false;

	while (blk_mirror_next(&d->ctl.mirror, &id, &operation)) {
		blk_ring_respond(&d->ring, id, operation, BLKIF_RSP_OKAY);
		any = true;
	}
	if (any && blk_ring_push(&d->ring))
		xenevtchn_notify(d->xce, (evtchn_port_t)d->port);
	d->ring_waiting |= any;
}

static void ctl_closed(struct disk *d)
{
	bool was_quiesced = d->ctl.quiesced;

	close(d->ctl_fd);
	d->ctl_fd = -1;
	blk_ctl_closed(&d->ctl);
	release_held(d);
	d->ring_waiting = true;
	if (was_quiesced)
		log_info("%s: the migration's channel closed: serving again",
			 d->back);
}

/* A new connection replaces the one before (blanketd's session that held
 * it is gone, or going), as if that one had closed. */
static void ctl_accept(struct disk *d)
{
	int fd = accept4(d->ctl_listen, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (d->ctl_fd >= 0)
		ctl_closed(d);
	d->ctl_fd = fd;
}

/* One request, one reply; a channel that misbehaves is closed. */
static void ctl_serve(struct disk *d)
{
	static struct blk_ctl_reply reply;
	unsigned char req[BLK_CTL_REQ_LEN];
	size_t got, len;
	bool was_quiesced = d->ctl.quiesced;

	if (fdio_read(d->ctl_fd, req, sizeof(req), fdio_now_ms() + 5000,
		      &got)) {
		ctl_closed(d);
		return;
	}
	blk_ctl_handle(&d->ctl, req, sizeof(req), &reply, &len);
	if (!was_quiesced && d->ctl.quiesced)
		log_info("%s: quiesced for a migration", d->back);
	if (was_quiesced && !d->ctl.quiesced) {
		log_info("%s: serving again", d->back);
		d->ring_waiting = true;
	}
	release_held(d);
	if (fdio_write(d->ctl_fd, &reply, len, fdio_now_ms() + 5000))
		ctl_closed(d);
}

/* --- the process --- */

static int open_disk(struct disk *d, char *err, size_t errlen)
{
	unsigned long long v;
	char *path, *mode, *front;
	int rc;

	d->xs = xs_open(0);
	if (!d->xs) {
		snprintf(err, errlen, "cannot open xenstore: %s",
			 strerror(errno));
		return BL_ERR_IO;
	}
	snprintf(d->back, sizeof(d->back), "/local/domain/0/backend/vbd/%u/%u",
		 d->domid, d->devid);
	path = read_node(d, d->back, "params");
	mode = read_node(d, d->back, "mode");
	front = read_node(d, d->back, "frontend");
	if (!path || !front ||
	    !read_number(d, d->back, "frontend-id", UINT16_MAX, &v) ||
	    v != d->domid) {
		snprintf(err, errlen,
			 "%s: no params, frontend or frontend-id "
			 "of domain %u",
			 d->back, d->domid);
		rc = BL_ERR_NOTFOUND;
		goto out;
	}
	snprintf(d->front, sizeof(d->front), "%s", front);
	snprintf(d->img_path, sizeof(d->img_path), "%s", path);
	d->f.readonly = mode && strcmp(mode, "w");
	d->f.flush = !d->f.readonly;
	d->f.discard = !d->f.readonly;
	rc = blk_image_open(path, d->f.readonly, &d->img, err, errlen);
	if (!rc)
		rc = blk_grant_open(&d->g, (uint16_t)d->domid, err, errlen);
	if (!rc) {
		d->xce = xenevtchn_open(NULL, 0);
		if (!d->xce) {
			snprintf(err, errlen, "cannot open evtchn: %s",
				 strerror(errno));
			rc = BL_ERR_IO;
		}
	}
	if (!rc && (!xs_watch(d->xs, d->back, "back") ||
		    !xs_watch(d->xs, d->front, "front"))) {
		snprintf(err, errlen, "cannot watch %s: %s", d->back,
			 strerror(errno));
		rc = BL_ERR_IO;
	}
out:
	free(path);
	free(mode);
	free(front);
	return rc;
}

static void close_disk(struct disk *d)
{
	if (d->ctl_fd >= 0)
		close(d->ctl_fd);
	if (d->ctl_listen >= 0)
		close(d->ctl_listen);
	blk_ctl_closed(&d->ctl);
	disconnect(d);
	if (d->xce)
		xenevtchn_close(d->xce);
	blk_grant_close(&d->g);
	blk_image_close(&d->img);
	if (d->xs)
		xs_close(d->xs);
}

int blk_disk_serve(uint32_t domid, uint32_t devid, char *err, size_t errlen)
{
	static struct disk d; /* one per process; its batch is 4 MiB */
	struct pollfd p[4];
	char **w;
	int rc;

	memset(&d, 0, sizeof(d));
	d.domid = domid;
	d.devid = devid;
	d.port = -1;
	d.img.fd = -1;
	d.ctl_listen = d.ctl_fd = -1;
	blk_batch_init(&d.batch);
	/* Only what it opens itself, then nothing more (docs/security.md,
	 * "The disk backends"). */
	rc = sandbox_close_inherited();
	if (!rc)
		rc = open_disk(&d, err, errlen);
	if (!rc) {
		blk_ctl_init(&d.ctl, d.img.sectors);
		rc = open_ctl(&d, err, errlen);
	}
	if (!rc && sandbox_confine_device(d.img.sectors * BLK_SECTOR)) {
		snprintf(err, errlen, "%s: cannot confine the process", d.back);
		rc = BL_ERR_IO;
	}
	if (rc)
		goto out;
	log_info("%s: serving %s for domain %u, %s", d.back, d.img_path, domid,
		 d.f.readonly ? "read-only" : "read-write");
	for (;;) {
		p[0] = (struct pollfd){.fd = xs_fileno(d.xs), .events = POLLIN};
		p[1] = (struct pollfd){.fd = xenevtchn_fd(d.xce),
				       .events = POLLIN};
		p[2] = (struct pollfd){.fd = d.ctl_listen, .events = POLLIN};
		p[3] = (struct pollfd){.fd = d.ctl_fd, .events = POLLIN};
		if (poll(p, 4, -1) < 0 && errno != EINTR) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			rc = BL_ERR_IO;
			break;
		}
		if (p[0].revents) {
			while ((w = xs_check_watch(d.xs)))
				free(w);
			if (handshake(&d) == BL_ERR_EOF)
				break;
		}
		if (p[1].revents) {
			xenevtchn_port_or_error_t port =
			    xenevtchn_pending(d.xce);

			if (port >= 0)
				xenevtchn_unmask(d.xce, (evtchn_port_t)port);
			if (port >= 0 && port == d.port)
				d.ring_waiting = true;
		}
		if (p[2].revents)
			ctl_accept(&d);
		if (d.ctl_fd >= 0 && p[3].revents)
			ctl_serve(&d);
		/* Quiesced: requests wait on the ring, the guest's for the
		 * destination's backend when it moves, or this one's again. */
		if (d.ring_waiting && !d.ctl.quiesced && d.ring_mem) {
			d.ring_waiting = false;
			serve_ring(&d);
		}
	}
out:
	close_disk(&d);
	return rc;
}
