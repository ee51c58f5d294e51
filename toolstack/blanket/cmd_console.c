/* `blanket console GUEST`: a guest's console from any node, over the node
 * RPC. Ctrl-] detaches (as in xl console), so do SIGINT and SIGTERM; the
 * terminal is put back as it was. Without a terminal, input is what stdin
 * holds and the session lasts until a signal or the guest's end. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "toolstack/blanket/guest_target.h"
#include "toolstack/common/fdio.h"

#define DETACH_KEY 0x1d /* Ctrl-] */
/* How long we wait for the node to answer our detach. */
#define DETACH_WAIT_MS 5000

static volatile sig_atomic_t detach_asked;
/* Every message of the session carries the guest-console request's id. */
static uint32_t session_id;

static void on_signal(int sig)
{
	(void)sig;
	detach_asked = 1;
}

/* Detach, then discard output until the node's answering detach. */
static int detach(struct client_conn *conn)
{
	char err[BL_ERRMSG_MAX];
	struct rpc_msg m;
	int rc;

	rpc_msg_init(&m);
	m.type = RPC_CONSOLE_DETACH;
	m.id = session_id;
	rc = rpc_send(&conn->s, &m);
	conn->s.deadline_ms = fdio_now_ms() + DETACH_WAIT_MS;
	while (!rc) {
		rpc_msg_init(&m);
		rc = rpc_recv(&conn->s, &m, err, sizeof(err));
		if (!rc && m.type != RPC_CONSOLE_DATA)
			break;
		rpc_msg_dispose(&m);
	}
	rpc_msg_dispose(&m);
	return rc;
}

/* Keyboard to guest; Ctrl-] asks to detach. *in_open goes false at EOF. */
static int from_user(struct client_conn *conn, bool *in_open)
{
	uint8_t buf[1024];
	ssize_t r = read(STDIN_FILENO, buf, sizeof(buf));
	struct rpc_msg m;
	uint8_t *key;
	int rc;

	if (r < 0 && errno == EINTR)
		return BL_OK;
	if (r <= 0) {
		*in_open = false;
		return BL_OK;
	}
	key = memchr(buf, DETACH_KEY, (size_t)r);
	if (key) {
		detach_asked = 1;
		r = key - buf;
	}
	if (r == 0)
		return BL_OK;
	rpc_msg_init(&m);
	m.type = RPC_CONSOLE_DATA;
	m.id = session_id;
	m.data = buf;
	m.data_len = (uint32_t)r;
	rc = rpc_send(&conn->s, &m);
	m.data = NULL; /* borrowed */
	rpc_msg_dispose(&m);
	return rc;
}

/* Guest output to the terminal; *ended when the node ends the session
 * (its detach is answered). */
static int from_guest(struct client_conn *conn, bool *ended)
{
	char err[BL_ERRMSG_MAX] = "";
	struct rpc_msg m;
	int rc;

	rpc_msg_init(&m);
	rc = rpc_recv(&conn->s, &m, err, sizeof(err));
	if (rc == BL_ERR_EOF) {
		*ended = true;
		rc = BL_OK;
	} else if (!rc && m.type == RPC_CONSOLE_DETACH) {
		*ended = true;
		m.id = session_id;
		rc = rpc_send(&conn->s, &m);
	} else if (!rc && m.type == RPC_CONSOLE_DATA) {
		if (m.data_len && write(STDOUT_FILENO, m.data, m.data_len) < 0)
			rc = BL_ERR_IO;
	} else if (!rc) {
		fprintf(stderr, "\r\nblanket: node %s: %s\r\n", conn->node,
			m.type == RPC_ERROR ? m.message : "unexpected message");
		rc = BL_ERR_PROTO;
	}
	rpc_msg_dispose(&m);
	return rc;
}

static int relay(struct client_conn *conn)
{
	bool in_open = true, ended = false;
	int rc = BL_OK;

	while (!rc && !ended && !detach_asked) {
		struct pollfd p[2] = {{.fd = conn->s.fd, .events = POLLIN},
				      {.fd = STDIN_FILENO, .events = POLLIN}};
		int r = poll(p, in_open ? 2 : 1,
			     stream_pending(&conn->s) ? 0 : 500);

		if (r < 0 && errno != EINTR)
			return BL_ERR_IO;
		if (r < 0)
			continue;
		if (p[0].revents || stream_pending(&conn->s))
			rc = from_guest(conn, &ended);
		if (!rc && in_open && (p[1].revents & (POLLIN | POLLHUP)))
			rc = from_user(conn, &in_open);
	}
	if (!rc && !ended)
		rc = detach(conn);
	return rc;
}

int cmd_console(const struct cmd_call *call)
{
	struct sigaction sa = {.sa_handler = on_signal};
	struct rpc_msg req, reply;
	struct termios saved, raw;
	struct client_conn conn;
	struct guest_target t;
	char err[BL_ERRMSG_MAX];
	bool tty = isatty(STDIN_FILENO);
	int i, rc;

	if (guest_target_begin(call, &t))
		return EXIT_FAIL;
	i = guest_target_find(&t, t.operand, false);
	if (i < 0) {
		guest_target_end(&t);
		return EXIT_FAIL;
	}
	rc = guest_target_connect(&t, i, &conn, err, sizeof(err));
	rpc_msg_init(&req);
	rpc_msg_init(&reply);
	req.type = RPC_GUEST_CONSOLE;
	snprintf(req.name, sizeof(req.name), "%s", t.operand);
	if (!rc) {
		rc = client_call(&conn, &req, &reply, err, sizeof(err));
		session_id = req.id;
		if (rc)
			client_close(&conn);
	}
	rpc_msg_dispose(&reply);
	if (rc) {
		fprintf(stderr, "blanket: %s\n", err);
		guest_target_end(&t);
		return EXIT_FAIL;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fprintf(stderr, "blanket: console of %s on %s; Ctrl-] detaches\n",
		t.operand, t.c.node[i].name);
	if (tty && tcgetattr(STDIN_FILENO, &saved) == 0) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	conn.s.deadline_ms = -1;
	rc = relay(&conn);
	if (tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	client_close(&conn);
	guest_target_end(&t);
	fprintf(stderr, "\nblanket: detached from %s\n", t.operand);
	return cmd_status(rc);
}
