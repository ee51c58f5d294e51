#include "toolstack/client/client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "toolstack/common/fdio.h"
#include "toolstack/tls/tls.h"

int client_tcp_connect(const struct cluster_node *n, int *fd_r, char *err,
		       size_t errlen)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = SOCK_STREAM};
	struct addrinfo *ai = NULL;
	char port[16];
	int fd = -1, r, soerr = 0;
	socklen_t len = sizeof(soerr);
	struct pollfd p;

	snprintf(port, sizeof(port), "%d", n->port);
	r = getaddrinfo(n->host, port, &hints, &ai);
	if (r) {
		snprintf(err, errlen, "node %s: cannot resolve %s: %s", n->name,
			 n->host, gai_strerror(r));
		return BL_ERR_NOTFOUND;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    0);
	if (fd < 0)
		goto fail;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 &&
	    errno != EINPROGRESS)
		goto fail;
	p.fd = fd;
	p.events = POLLOUT;
	r = poll(&p, 1, CLIENT_CONNECT_TIMEOUT_MS);
	if (r == 0) {
		snprintf(err, errlen,
			 "node %s (%s:%d) did not answer within %d s", n->name,
			 n->host, n->port, CLIENT_CONNECT_TIMEOUT_MS / 1000);
		close(fd);
		freeaddrinfo(ai);
		return BL_ERR_TIMEOUT;
	}
	if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0 ||
	    soerr) {
		errno = soerr ? soerr : errno;
		goto fail;
	}
	freeaddrinfo(ai);
	fdio_tcp_liveness(fd);
	*fd_r = fd;
	return BL_OK;
fail:
	snprintf(err, errlen, "node %s (%s:%d): %s", n->name, n->host, n->port,
		 strerror(errno));
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return BL_ERR_IO;
}

static int hello(struct client_conn *conn, char *err, size_t errlen)
{
	char why[BL_ERRMSG_MAX] = "";
	uint32_t version;
	int rc;

	conn->s.deadline_ms = fdio_now_ms() + CLIENT_HANDSHAKE_TIMEOUT_MS;
	rc = rpc_client_hello(&conn->s, &version, why, sizeof(why));
	if (rc) {
		snprintf(err, errlen, "node %s refused the connection: %s",
			 conn->node, why[0] ? why : bl_strerror(rc));
		stream_close(&conn->s);
	}
	return rc;
}

int client_connect(struct tls_ctx *tls, const struct cluster_node *n,
		   struct client_conn *conn_r, char *err, size_t errlen)
{
	struct client_conn conn = {.next_id = 1};
	int fd, rc;

	rc = client_tcp_connect(n, &fd, err, errlen);
	if (rc)
		return rc;
	rc = tls_connect(tls, fd, n->name,
			 fdio_now_ms() + CLIENT_HANDSHAKE_TIMEOUT_MS, &conn.s);
	if (rc) {
		snprintf(err, errlen, "node %s: TLS handshake failed: %s",
			 n->name, bl_strerror(rc));
		return rc;
	}
	snprintf(conn.node, sizeof(conn.node), "%s", n->name);
	rc = hello(&conn, err, errlen);
	if (!rc)
		*conn_r = conn;
	return rc;
}

int client_connect_local(const char *path, struct client_conn *conn_r,
			 char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct client_conn conn = {.next_id = 1};
	int fd, rc;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(err, errlen,
			 "cannot reach the local blanketd at %s: "
			 "%s",
			 path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return BL_ERR_IO;
	}
	stream_fd_init(&conn.s, fd);
	snprintf(conn.node, sizeof(conn.node), "local");
	rc = hello(&conn, err, errlen);
	if (!rc)
		*conn_r = conn;
	return rc;
}

int client_call(struct client_conn *conn, struct rpc_msg *req,
		struct rpc_msg *reply_r, char *err, size_t errlen)
{
	char why[BL_ERRMSG_MAX] = "";
	int rc;

	req->id = conn->next_id++;
	conn->s.deadline_ms = fdio_now_ms() + (req->type == RPC_GUEST_CREATE
						   ? CLIENT_CREATE_TIMEOUT_MS
						   : CLIENT_CALL_TIMEOUT_MS);
	rc = rpc_send(&conn->s, req);
	if (!rc)
		rc = rpc_recv(&conn->s, reply_r, why, sizeof(why));
	if (rc) {
		snprintf(err, errlen, "node %s: %s", conn->node,
			 why[0] ? why : bl_strerror(rc));
		return rc;
	}
	if (reply_r->type == RPC_ERROR) {
		snprintf(err, errlen, "node %s: %s", conn->node,
			 reply_r->message);
		return reply_r->code < 0 ? reply_r->code : BL_ERR_FAIL;
	}
	if (reply_r->type != RPC_OK || reply_r->id != req->id ||
	    reply_r->request != req->type) {
		snprintf(err, errlen, "node %s: unexpected %s in reply to %s",
			 conn->node, rpc_type_name(reply_r->type),
			 rpc_type_name(req->type));
		return BL_ERR_PROTO;
	}
	return BL_OK;
}

void client_close(struct client_conn *conn)
{
	stream_close(&conn->s);
}
