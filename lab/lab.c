/*
 * `blanket-lab up|down|status|env|exec`.
 *
 * Entry points: lab_up, lab_down, lab_status, lab_env, lab_exec.
 * Nomenclature: the run folder holds the state file (state.h), a lock that
 * serialises lab commands, and node<N>/{serial,qemu}.log.
 * lab_up: lock -> refuse a running lab -> check the images, tools and
 * ports -> start the switch (3+ nodes) -> spawn each node, saving state after
 * each -> wait until every node's agent runs `xl list` -> done; any failure or
 * signal on the way stops everything it started.
 */
#include "lab/lab.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab/ctl_client.h"
#include "lab/enroll.h"
#include "toolstack/common/fdio.h"
#include "toolstack/common/log.h"
#include "toolstack/common/path.h"
#include "lab/node.h"
#include "lab/state.h"

#define DEFAULT_PORT_BASE 47800
#define DEFAULT_TIMEOUT_S 300
#define KILL_GRACE_MS	  3000
#define SERIAL_TAIL_LINES 15

static volatile sig_atomic_t lab_interrupted;

void lab_opts_init(struct lab_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->nodes = 2;
	o->port_base = DEFAULT_PORT_BASE;
	o->timeout_s = DEFAULT_TIMEOUT_S;
}

static void node_dir(const struct lab_opts *o, int index, const char *file,
		     char *buf, size_t len)
{
	snprintf(buf, len, "%s/node%d%s%s", o->run_dir, index, file ? "/" : "",
		 file ? file : "");
}

/* Serialise lab commands on one run folder (made with its parents if
 * missing); *fd_r holds the lock. */
static int lock_run_dir(const struct lab_opts *o, int *fd_r)
{
	char path[PATH_MAX];
	int fd;

	if (path_mkdirs(o->run_dir, 0755))
		return BL_ERR_IO;
	snprintf(path, sizeof(path), "%s/lock", o->run_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		log_warn("cannot open %s", path);
		return BL_ERR_IO;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		log_warnx("another blanket-lab command is using %s",
			  o->run_dir);
		close(fd);
		return BL_ERR_BUSY;
	}
	*fd_r = fd;
	return BL_OK;
}

static bool any_alive(const struct lab_state *s)
{
	for (int i = 0; i < s->nodes; i++)
		if (node_pid_is(s->node[i].pid, "qemu-system"))
			return true;
	return node_pid_is(s->switch_pid, "vde_switch");
}

/* Stop every process s records and forget the lab. */
static int stop_all(const struct lab_opts *o, const struct lab_state *s)
{
	for (int i = 0; i < s->nodes; i++)
		if (node_pid_is(s->node[i].pid, "qemu-system"))
			node_kill(s->node[i].pid, KILL_GRACE_MS);
	if (node_pid_is(s->switch_pid, "vde_switch"))
		node_kill(s->switch_pid, KILL_GRACE_MS);
	return state_remove(o->run_dir);
}

static bool in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	while (path && *path) {
		size_t len = strcspn(path, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, path, prog);
		if (access(buf, X_OK) == 0)
			return true;
		path += len + (path[len] == ':');
	}
	return false;
}

static int check_port_free(int port, const char *what)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1, r;

	if (fd < 0)
		return BL_ERR_IO;
	/* As QEMU does: connections of a lab just stopped (TIME_WAIT) don't
	 * count, only a listener does. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (r < 0) {
		log_warnx("port 127.0.0.1:%d (%s) is in use; pick other ports "
			  "with --port-base",
			  port, what);
		return BL_ERR_BUSY;
	}
	return BL_OK;
}

static int check_images(const char *const *files, size_t n, const char *target)
{
	for (size_t i = 0; i < n; i++)
		if (access(files[i], R_OK) < 0) {
			log_warnx("node image file %s is missing: `make %s` in "
				  "Blanket's source tree builds it",
				  files[i], target);
			return BL_ERR_NOTFOUND;
		}
	return BL_OK;
}

static int check_prerequisites(const struct lab_opts *o,
			       const struct lab_images *img,
			       const struct lab_state *s,
			       const struct lab_flavor *const *flavors)
{
	const char *files[] = {img->xen, img->kernel, img->dom0};
	const char *l0_files[] = {img->l0_xen, img->l0_dom0};
	char what[32];
	int rc;

	rc = check_images(files, sizeof(files) / sizeof(files[0]), "lab-image");
	if (rc)
		return rc;
	for (int i = 0; i < o->nodes; i++)
		if (flavors[i]->l0_xen) {
			rc = check_images(
			    l0_files, sizeof(l0_files) / sizeof(l0_files[0]),
			    "lab-image-l0-xen");
			if (rc)
				return rc;
			break;
		}
	if (!in_path("qemu-system-x86_64") ||
	    (o->nodes > 2 && !in_path("vde_switch"))) {
		log_warnx("%s not found: run `make setup`",
			  in_path("qemu-system-x86_64") ? "vde_switch"
							: "qemu-system-x86_64");
		return BL_ERR_NOTFOUND;
	}
	if (o->nodes <= 2) {
		rc = check_port_free(state_link_port(s), "inter-node link");
		if (rc)
			return rc;
	}
	for (int i = 1; i <= o->nodes; i++) {
		snprintf(what, sizeof(what), "node%d control", i);
		rc = check_port_free(state_ctl_port(s, i), what);
		if (rc)
			return rc;
		snprintf(what, sizeof(what), "node%d blanketd", i);
		rc = check_port_free(state_rpc_port(s, i), what);
		if (rc)
			return rc;
	}
	return BL_OK;
}

/* vde_switch -d returns before its daemon has written the pid file and
 * made its socket: wait for both. */
static int start_switch(const struct lab_opts *o, struct lab_state *s,
			const char *sock_dir)
{
	int64_t deadline = fdio_now_ms() + 5000;
	char pidfile[PATH_MAX], ctl[PATH_MAX + 8], buf[32] = "";
	pid_t pid;
	int status, fd = -1;
	ssize_t r;

	snprintf(pidfile, sizeof(pidfile), "%s/switch.pid", o->run_dir);
	snprintf(ctl, sizeof(ctl), "%s/ctl", sock_dir);
	unlink(pidfile);
	pid = fork();
	if (pid < 0)
		return BL_ERR_IO;
	if (pid == 0) {
		execlp("vde_switch", "vde_switch", "-d", "-s", sock_dir, "-p",
		       pidfile, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		log_warnx("vde_switch failed to start on %s", sock_dir);
		return BL_ERR_FAIL;
	}
	while (fdio_now_ms() < deadline) {
		if (fd < 0)
			fd = open(pidfile, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && s->switch_pid == 0) {
			r = pread(fd, buf, sizeof(buf) - 1, 0);
			if (r > 0 && buf[r - 1] == '\n')
				s->switch_pid = (pid_t)atoi(buf);
		}
		if (s->switch_pid > 0 && access(ctl, F_OK) == 0)
			break;
		usleep(50000);
	}
	if (fd >= 0)
		close(fd);
	if (s->switch_pid <= 0 || access(ctl, F_OK) < 0) {
		log_warnx("vde_switch did not come up on %s within 5 s",
			  sock_dir);
		return BL_ERR_TIMEOUT;
	}
	return BL_OK;
}

/* Print the last lines of a log, indented, to help explain a failure. */
static void print_tail(const char *path, int lines)
{
	char *ring[SERIAL_TAIL_LINES] = {0};
	char line[512];
	int n = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	if (lines > SERIAL_TAIL_LINES)
		lines = SERIAL_TAIL_LINES;
	while (fgets(line, sizeof(line), f)) {
		free(ring[n % lines]);
		ring[n % lines] = strdup(line);
		n++;
	}
	fclose(f);
	fprintf(stderr, "  last lines of %s:\n", path);
	for (int i = n > lines ? n - lines : 0; i < n; i++)
		fprintf(stderr, "    %s",
			ring[i % lines] ? ring[i % lines] : "\n");
	for (int i = 0; i < lines; i++)
		free(ring[i]);
}

static void report_node_failure(const struct lab_opts *o, int index,
				const char *why)
{
	char path[PATH_MAX];

	log_warnx("node%d: %s", index, why);
	node_dir(o, index, "qemu.log", path, sizeof(path));
	print_tail(path, 5);
	node_dir(o, index, "serial.log", path, sizeof(path));
	print_tail(path, SERIAL_TAIL_LINES);
}

static int spawn_nodes(const struct lab_opts *o, struct lab_state *s,
		       const struct lab_wiring *w, const struct lab_images *img,
		       const struct lab_flavor *const *flavors)
{
	char serial[PATH_MAX], qlog[PATH_MAX], dir[PATH_MAX];
	char **argv = NULL;
	int rc;

	for (int i = 1; i <= o->nodes; i++) {
		struct lab_node *n = &s->node[i - 1];

		n->index = i;
		n->flavor = flavors[i - 1];
		n->ctl_port = state_ctl_port(s, i);
		n->rpc_port = state_rpc_port(s, i);
		node_dir(o, i, NULL, dir, sizeof(dir));
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return BL_ERR_IO;
		node_dir(o, i, "serial.log", serial, sizeof(serial));
		node_dir(o, i, "qemu.log", qlog, sizeof(qlog));
		unlink(serial);
		rc = node_qemu_argv(n, w, img, serial, &argv);
		if (rc)
			return rc;
		rc = node_spawn(n, argv, qlog);
		node_argv_free(argv);
		if (rc)
			return rc;
		s->nodes = i;
		rc = state_save(o->run_dir, s);
		if (rc)
			return rc;
		/* Node 1 listens on the link; give it a moment to bind. */
		if (i == 1 && w->kind == LAB_LINK_SOCKET)
			usleep(300000);
	}
	return BL_OK;
}

/* A node is ready when its agent runs `xl list` successfully. */
static bool node_ready(const struct lab_node *n)
{
	char *argv[] = {"xl", "list", NULL};
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	int status = -1, rc;

	rc = ctl_exec(n->ctl_port, argv, -1, null, null, 5000, &status);
	close(null);
	return rc == BL_OK && status == 0;
}

static int wait_ready(const struct lab_opts *o, const struct lab_state *s,
		      int64_t start)
{
	int64_t deadline = start + (int64_t)o->timeout_s * 1000;
	bool ready[LAB_MAX_NODES] = {false};
	int left = s->nodes, status;

	while (left > 0) {
		for (int i = 0; i < s->nodes; i++) {
			const struct lab_node *n = &s->node[i];
			char why[64];

			if (ready[i])
				continue;
			if (waitpid(n->pid, &status, WNOHANG) == n->pid) {
				snprintf(why, sizeof(why),
					 "QEMU exited (status %d) before the "
					 "node was ready",
					 WIFEXITED(status)
					     ? WEXITSTATUS(status)
					     : 128 + WTERMSIG(status));
				report_node_failure(o, n->index, why);
				return BL_ERR_FAIL;
			}
			if (node_ready(n)) {
				ready[i] = true;
				left--;
				printf("lab: node%d ready after %.0f s\n",
				       n->index,
				       (double)(fdio_now_ms() - start) / 1000);
				fflush(stdout);
			}
		}
		if (lab_interrupted) {
			log_warnx("interrupted; stopping the lab");
			return BL_ERR_FAIL;
		}
		if (left > 0 && fdio_now_ms() > deadline) {
			for (int i = 0; i < s->nodes; i++)
				if (!ready[i])
					report_node_failure(
					    o, s->node[i].index,
					    "not ready before the deadline "
					    "(--timeout)");
			return BL_ERR_TIMEOUT;
		}
		if (left > 0)
			sleep(1);
	}
	return BL_OK;
}

static void on_signal(int sig)
{
	(void)sig;
	lab_interrupted = 1;
}

/* The image files' paths in the image folder. */
struct image_paths {
	char xen[PATH_MAX], kernel[PATH_MAX], dom0[PATH_MAX];
	char l0_xen[PATH_MAX], l0_dom0[PATH_MAX];
};

static void image_paths(const struct lab_opts *o, struct image_paths *p,
			struct lab_images *img)
{
	snprintf(p->xen, PATH_MAX, "%s/xen", o->image_dir);
	snprintf(p->kernel, PATH_MAX, "%s/vmlinuz", o->image_dir);
	snprintf(p->dom0, PATH_MAX, "%s/dom0.cpio.gz", o->image_dir);
	snprintf(p->l0_xen, PATH_MAX, "%s/l0-xen", o->image_dir);
	snprintf(p->l0_dom0, PATH_MAX, "%s/l0-dom0.cpio.gz", o->image_dir);
	img->xen = p->xen;
	img->kernel = p->kernel;
	img->dom0 = p->dom0;
	img->l0_xen = p->l0_xen;
	img->l0_dom0 = p->l0_dom0;
}

/* Each node's flavor: --flavors in turn, else the default ones. */
static int node_flavors(const struct lab_opts *o,
			const struct lab_flavor **flavors)
{
	const struct lab_flavor *listed[LAB_MAX_NODES];
	int n, rc;

	if (!o->flavors) {
		for (int i = 1; i <= o->nodes; i++)
			flavors[i - 1] = node_flavor_for(i);
		return BL_OK;
	}
	rc = node_flavors_parse(o->flavors, listed, LAB_MAX_NODES, &n);
	if (rc)
		return rc;
	for (int i = 0; i < o->nodes; i++)
		flavors[i] = listed[i % n];
	return BL_OK;
}

int lab_up(const struct lab_opts *o)
{
	const struct lab_flavor *flavors[LAB_MAX_NODES];
	struct image_paths paths;
	char sw[PATH_MAX];
	struct sigaction sa = {.sa_handler = on_signal};
	struct lab_wiring wiring = {.kind = LAB_LINK_SOCKET};
	struct lab_images img;
	struct lab_state s, old;
	int64_t start = fdio_now_ms();
	int lock = -1, rc;

	if (o->nodes < 1 || o->nodes > LAB_MAX_NODES) {
		log_warnx("--nodes must be between 1 and %d", LAB_MAX_NODES);
		return BL_ERR_INVAL;
	}
	rc = node_flavors(o, flavors);
	if (rc)
		return rc;
	rc = lock_run_dir(o, &lock);
	if (rc)
		return rc;
	rc = state_load(o->run_dir, &old);
	if (rc == BL_OK && any_alive(&old)) {
		log_warnx("a lab of %d node(s) is already running in %s; "
			  "`blanket-lab down` stops it",
			  old.nodes, o->run_dir);
		rc = BL_ERR_BUSY;
		goto out;
	}
	if (rc == BL_OK || rc == BL_ERR_INVAL) {
		/* Left over from a crash: nothing of it runs any more. */
		rc = state_remove(o->run_dir);
		if (rc)
			goto out;
	}
	image_paths(o, &paths, &img);
	state_init(&s);
	s.port_base = o->port_base;
	rc = check_prerequisites(o, &img, &s, flavors);
	if (rc)
		goto out;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* Node1 listens on the link: node2 connects, or, in a lab of one,
	 * a machine of the test's own (the install test's instance). */
	if (o->nodes <= 2) {
		wiring.port = state_link_port(&s);
	} else {
		snprintf(sw, sizeof(sw), "%s/switch", o->run_dir);
		wiring.kind = LAB_LINK_SWITCH;
		wiring.switch_dir = sw;
		rc = start_switch(o, &s, sw);
		if (!rc)
			rc = state_save(o->run_dir, &s);
		if (rc)
			goto fail;
	}
	printf("lab: booting %d node(s) under QEMU TCG:", o->nodes);
	for (int i = 1; i <= o->nodes; i++)
		printf(" node%d=%s", i, flavors[i - 1]->name);
	printf("\n");
	fflush(stdout);
	rc = spawn_nodes(o, &s, &wiring, &img, flavors);
	if (!rc)
		rc = wait_ready(o, &s, start);
	if (!rc)
		rc = enroll_lab(o->run_dir, &s,
				start + (int64_t)o->timeout_s * 1000);
	if (!rc) {
		printf("lab: %d node(s) ready in %.0f s, blanketd answering on "
		       "each. blanket reaches them through the lab's cluster "
		       "file:\n  export BLANKET_CLUSTER=%s/%s\n(or: eval "
		       "\"$(blanket-lab env)\")\n",
		       s.nodes, (double)(fdio_now_ms() - start) / 1000,
		       o->run_dir, ENROLL_CLUSTER_FILE);
		goto out;
	}
fail:
	if (stop_all(o, &s))
		log_warnx("could not clean up %s", o->run_dir);
out:
	if (lock >= 0)
		close(lock);
	return rc;
}

int lab_down(const struct lab_opts *o)
{
	struct lab_state s;
	int lock = -1, rc;

	rc = lock_run_dir(o, &lock);
	if (rc)
		return rc;
	rc = state_load(o->run_dir, &s);
	if (rc == BL_ERR_NOTFOUND) {
		printf("lab: no lab is running in %s\n", o->run_dir);
		rc = BL_OK;
		goto out;
	}
	if (rc)
		goto out;
	rc = stop_all(o, &s);
	if (!rc)
		printf("lab: stopped %d node(s)\n", s.nodes);
out:
	close(lock);
	return rc;
}

static const char *node_state_name(const struct lab_node *n)
{
	if (!node_pid_is(n->pid, "qemu-system"))
		return "stopped";
	return ctl_ping(n->ctl_port, 2000) == BL_OK ? "ready" : "booting";
}

int lab_status(const struct lab_opts *o)
{
	char serial[PATH_MAX];
	struct lab_state s;
	int rc = state_load(o->run_dir, &s);

	if (rc == BL_ERR_NOTFOUND) {
		if (o->json)
			printf("{\"running\": false, \"nodes\": []}\n");
		else
			printf("no lab is running in %s\n", o->run_dir);
		return BL_OK;
	}
	if (rc)
		return rc;
	if (o->json)
		printf("{\"running\": true, \"run_dir\": \"%s\", \"nodes\": [",
		       o->run_dir);
	else
		printf("%-6s %-8s %-13s %-40s %-10s %-16s %s\n", "NODE",
		       "STATE", "L0", "CPU", "ADDRESS", "CONTROL",
		       "SERIAL LOG");
	for (int i = 0; i < s.nodes; i++) {
		const struct lab_node *n = &s.node[i];
		const char *st = node_state_name(n);

		node_dir(o, n->index, "serial.log", serial, sizeof(serial));
		if (o->json)
			printf(
			    "%s\n  {\"name\": \"node%d\", \"state\": \"%s\", "
			    "\"l0\": \"%s\", \"l0_description\": \"%s\", "
			    "\"cpu\": \"%s\", \"nic\": \"%s\", "
			    "\"address\": \"10.99.0.%d\", "
			    "\"control_port\": %d, \"pid\": %d, "
			    "\"serial_log\": \"%s\"}",
			    i ? "," : "", n->index, st, n->flavor->name,
			    n->flavor->l0, n->flavor->cpu, n->flavor->nic,
			    n->index, n->ctl_port, (int)n->pid, serial);
		else
			printf("node%-2d %-8s %-13s %-40s 10.99.0.%-2d "
			       "127.0.0.1:%-6d %s\n",
			       n->index, st, n->flavor->name, n->flavor->cpu,
			       n->index, n->ctl_port, serial);
	}
	if (o->json)
		printf("\n]}\n");
	return BL_OK;
}

int lab_env(const struct lab_opts *o)
{
	char path[PATH_MAX];
	struct lab_state s;
	int rc = state_load(o->run_dir, &s);

	if (rc == BL_ERR_NOTFOUND)
		log_warnx("no lab is running in %s (`blanket-lab up` starts "
			  "one)",
			  o->run_dir);
	if (rc)
		return rc;
	rc = path_join(path, sizeof(path), o->run_dir, ENROLL_CLUSTER_FILE);
	if (rc)
		return rc;
	printf("export BLANKET_CLUSTER=");
	path_print_quoted(stdout, path);
	printf("\n");
	return BL_OK;
}

static const struct lab_node *find_node(const struct lab_state *s,
					const char *name)
{
	for (int i = 0; i < s->nodes; i++) {
		char buf[16];

		snprintf(buf, sizeof(buf), "node%d", s->node[i].index);
		if (strcmp(buf, name) == 0)
			return &s->node[i];
	}
	return NULL;
}

int lab_exec(const struct lab_opts *o, const char *node, char **argv,
	     bool forward_stdin, int timeout_s, int *status_r)
{
	const struct lab_node *n;
	struct lab_state s;
	int rc = state_load(o->run_dir, &s);

	if (rc == BL_ERR_NOTFOUND) {
		log_warnx("no lab is running (`blanket-lab up` starts one)");
		return rc;
	}
	if (rc)
		return rc;
	n = find_node(&s, node);
	if (!n) {
		log_warnx("the lab has no node \"%s\" (it has node1..node%d)",
			  node, s.nodes);
		return BL_ERR_NOTFOUND;
	}
	if (!node_pid_is(n->pid, "qemu-system")) {
		log_warnx("%s is not running", node);
		return BL_ERR_FAIL;
	}
	rc = ctl_exec(n->ctl_port, argv, forward_stdin ? 0 : -1, 1, 2,
		      timeout_s > 0 ? (int64_t)timeout_s * 1000 : -1, status_r);
	if (rc == BL_ERR_TIMEOUT)
		log_warnx("%s: %s did not finish within %d s", node, argv[0],
			  timeout_s);
	else if (rc)
		log_warnx("%s: cannot run %s: %s", node, argv[0],
			  bl_strerror(rc));
	return rc;
}
