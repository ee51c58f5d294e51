#include "toolstack/blanketd/console.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <stdint.h>
#include <unistd.h>

#include "toolstack/common/fdio.h"
#include "toolstack/common/log.h"
#include "toolstack/rpc/rpc.h"

/* How long a detached console waits for the client's answering detach. */
#define DETACH_WAIT_MS 5000

struct console {
	struct bl_stream *s;
	uint32_t id;
	int pty;
	const char *peer;
	bool done;
	int64_t idle_at; /* fdio_now_ms() when the client has been idle for
			    CONSOLE_IDLE_MS */
};

/* The pty must pass bytes as they are: no echo, no line editing. */
static void make_raw(int pty)
{
	struct termios t;

	if (tcgetattr(pty, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(pty, TCSANOW, &t);
	}
}

static int send_detach(struct console *c)
{
	struct rpc_msg m;

	rpc_msg_init(&m);
	m.type = RPC_CONSOLE_DETACH;
	m.id = c->id;
	return rpc_send(c->s, &m);
}

/* Detach, and give the client a moment to answer. */
static void end(struct console *c)
{
	char err[BL_ERRMSG_MAX];
	struct rpc_msg m;
	int rc;

	c->done = true;
	c->s->deadline_ms = fdio_now_ms() + CONSOLE_WRITE_MS;
	rc = send_detach(c);
	c->s->deadline_ms = fdio_now_ms() + DETACH_WAIT_MS;
	while (!rc) {
		rpc_msg_init(&m);
		rc = rpc_recv(c->s, &m, err, sizeof(err));
		if (!rc && m.type == RPC_CONSOLE_DETACH)
			rc = BL_ERR_EOF;
		rpc_msg_dispose(&m);
	}
}

/* One chunk of guest output to the client; at the console's end, detach. */
static int from_guest(struct console *c)
{
	uint8_t buf[RPC_CONSOLE_MAX / 4];
	ssize_t r = read(c->pty, buf, sizeof(buf));
	struct rpc_msg m;
	int rc;

	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return BL_OK;
	if (r <= 0) {
		end(c);
		return BL_OK;
	}
	c->s->deadline_ms = fdio_now_ms() + CONSOLE_WRITE_MS;
	rpc_msg_init(&m);
	m.type = RPC_CONSOLE_DATA;
	m.id = c->id;
	m.data = buf;
	m.data_len = (uint32_t)r;
	rc = rpc_send(c->s, &m);
	m.data = NULL; /* borrowed, not the message's to free */
	rpc_msg_dispose(&m);
	return rc;
}

/* One message from the client: keyboard input or its detach. */
static int from_client(struct console *c)
{
	char err[BL_ERRMSG_MAX] = "";
	struct rpc_msg m;
	int rc;

	rpc_msg_init(&m);
	rc = rpc_recv(c->s, &m, err, sizeof(err));
	if (rc == BL_ERR_EOF) {
		c->done = true;
		rc = BL_OK;
	} else if (!rc && m.id != c->id) {
		snprintf(err, sizeof(err),
			 "%s with id %u in the console "
			 "session of request %u",
			 rpc_type_name(m.type), m.id, c->id);
		rc = BL_ERR_PROTO;
	} else if (!rc && m.type == RPC_CONSOLE_DETACH) {
		c->done = true;
		rc = send_detach(c);
	} else if (!rc && m.type == RPC_CONSOLE_DATA) {
		c->idle_at = fdio_now_ms() + CONSOLE_IDLE_MS;
		if (m.data_len && write(c->pty, m.data, m.data_len) < 0)
			log_warn("%s: console input", c->peer);
	} else if (!rc) {
		snprintf(err, sizeof(err), "unexpected %s in a console session",
			 rpc_type_name(m.type));
		rc = BL_ERR_PROTO;
	}
	if (rc == BL_ERR_PROTO) {
		log_warnx("%s: %s", c->peer, err);
		c->s->deadline_ms = fdio_now_ms() + CONSOLE_WRITE_MS;
		if (rpc_send_error(c->s, c->id, rc, err))
			log_debug("%s left before the error reply", c->peer);
	}
	rpc_msg_dispose(&m);
	return rc;
}

int console_relay(struct bl_stream *s, uint32_t id, int pty, const char *peer)
{
	struct console c = {s,	  id,	 pty,
			    peer, false, fdio_now_ms() + CONSOLE_IDLE_MS};
	int rc = BL_OK;

	make_raw(pty);
	while (!c.done && !rc) {
		struct pollfd p[2] = {{.fd = s->fd, .events = POLLIN},
				      {.fd = pty, .events = POLLIN}};
		int64_t left = c.idle_at - fdio_now_ms();

		if (left <= 0) {
			log_info("%s: console idle for %d s: detached", peer,
				 CONSOLE_IDLE_MS / 1000);
			end(&c);
			break;
		}
		if (poll(p, 2, stream_pending(s) ? 0 : (int)left) < 0) {
			if (errno == EINTR)
				continue;
			return BL_ERR_IO;
		}
		if (p[1].revents)
			rc = from_guest(&c);
		if (!rc && !c.done && (p[0].revents || stream_pending(s)))
			rc = from_client(&c);
	}
	return rc;
}
