#include "lab/node.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "toolstack/common/fdio.h"
#include "toolstack/common/log.h"

/*
 * The emulated L0 clouds. Every CPU the node sees masks vmx/svm: most clouds
 * offer no nested virtualization, and blanket nodes must not need it.
 * smep/smap are masked too: with them, Xen 4.17 under TCG kills dom0 at once
 * (#PF in create_bounce_frame, LAB-NOTES pitfall 1). The first two, the
 * default, are Intel: TCG's "max" CPU is an AMD one, and a PV guest cannot
 * move between CPU vendors. Broadwell shows the guest a superset of Haswell
 * (adx): migration in both directions works.
 * xen-hvm's L0 is a Xen, which needs SVM, so AMD: TCG emulates no VT-x. Its
 * node, a PVH guest of that Xen, sees no SVM. kvm-amd is the KVM cloud its
 * guests can move to: the same EPYC, with what the L0 Xen needs masked
 * (LAB-NOTES, "An L0 Xen under emulation": RDTSCP, MONITOR) masked there
 * too, and extended CPUID leaves up to 0x80000021, the highest the blanket
 * hypervisor reports on an L0 Xen (a guest's may not exceed the
 * destination's). On both, Xen switches the FPU eagerly: with its lazy
 * switching, the default on AMD, PV dom0s' user processes crash under TCG
 * (docs/lab.md).
 */
static const struct lab_flavor lab_flavors[] = {
    {"kvm-virtio", "KVM cloud: virtio NICs, Broadwell CPU",
     "Broadwell-noTSX,-vmx,-svm,-smep,-smap", "virtio-net-pci", 1024, "",
     false},
    {"legacy-e1000", "older cloud: emulated e1000 NICs, Haswell CPU",
     "Haswell-noTSX,-vmx,-svm,-smep", "e1000", 1024, "", false},
    {"kvm-amd", "KVM cloud on AMD: virtio NICs, EPYC CPU",
     "EPYC,-svm,-smap,-smep,-rdtscp,-monitor,xlevel=0x80000021",
     "virtio-net-pci", 1024, " spec-ctrl=eager-fpu", false},
    {"xen-hvm", "Xen cloud: the node is a PVH guest of an L0 Xen",
     "EPYC,+svm,+npt,-smap,-smep,-rdtscp,-monitor", "virtio-net-pci", 2048,
     " spec-ctrl=eager-fpu", true},
};

#define N_FLAVORS (sizeof(lab_flavors) / sizeof(lab_flavors[0]))
/* The first ones, taken in turn when the lab is not told which. */
#define N_DEFAULT_FLAVORS 2

/* Dom0's share of a node's memory (LAB-NOTES: two nodes take ~2.4 GB). */
#define DOM0_MEM "dom0_mem=512M,max:512M"
/* Pages reach guests zeroed (scrub-domheap: those a running domain frees
 * are scrubbed too), so a migration's destination need not write zero pages
 * (docs/specs/migration-stream.md, "Zero pages at the destination"); free
 * memory is scrubbed at boot rather than in the idle loop, where under
 * emulation it made the first migration onto a node take 14.7 s, not 7.6.
 * lab/image/l0-start-node gives a xen-hvm node's hypervisor the same. */
#define XEN_SCRUB "bootscrub=on scrub-domheap"
/* Node N serves its guests DHCP from 10.98.0.(250 + N) (docs/lab.md). */
#define LAB_DHCP_HOST_BASE 250
/* dom0 listens for the host here; QEMU forwards host ports to them. */
#define AGENT_ADDR    "10.0.2.15:7000"
#define BLANKETD_ADDR "10.0.2.15:7400"

const struct lab_flavor *node_flavor_for(int index)
{
	return &lab_flavors[(size_t)(index - 1) % N_DEFAULT_FLAVORS];
}

const struct lab_flavor *node_flavor_find(const char *name)
{
	for (size_t i = 0; i < N_FLAVORS; i++)
		if (strcmp(lab_flavors[i].name, name) == 0)
			return &lab_flavors[i];
	return NULL;
}

int node_flavors_parse(const char *list, const struct lab_flavor **out, int max,
		       int *n_r)
{
	const char *p = list;
	int n = 0;

	for (;;) {
		size_t len = strcspn(p, ",");
		const struct lab_flavor *f = NULL;

		for (size_t i = 0; i < N_FLAVORS && !f; i++)
			if (strlen(lab_flavors[i].name) == len &&
			    strncmp(lab_flavors[i].name, p, len) == 0)
				f = &lab_flavors[i];
		if (!f) {
			log_warnx("--flavors: unknown flavor \"%.*s\"; the "
				  "lab has kvm-virtio, legacy-e1000, kvm-amd "
				  "and xen-hvm",
				  (int)len, p);
			return BL_ERR_INVAL;
		}
		if (n == max) {
			log_warnx("--flavors: more than %d flavors", max);
			return BL_ERR_INVAL;
		}
		out[n++] = f;
		if (!p[len])
			break;
		p += len + 1;
	}
	*n_r = n;
	return BL_OK;
}

struct argv_buf {
	char **v;
	size_t n;
	int rc;
};

static void push(struct argv_buf *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void push(struct argv_buf *a, const char *fmt, ...)
{
	char **v;
	va_list ap;
	int r;

	if (a->rc)
		return;
	v = realloc(a->v, (a->n + 2) * sizeof(*v));
	if (!v) {
		a->rc = BL_ERR_NOMEM;
		return;
	}
	a->v = v;
	va_start(ap, fmt);
	r = vasprintf(&a->v[a->n], fmt, ap);
	va_end(ap);
	if (r < 0) {
		a->rc = BL_ERR_NOMEM;
		return;
	}
	a->v[++a->n] = NULL;
}

int node_qemu_argv(const struct lab_node *n, const struct lab_wiring *w,
		   const struct lab_images *img, const char *serial_log,
		   char ***argv_r)
{
	struct argv_buf a = {NULL, 0, BL_OK};
	const struct lab_flavor *f = n->flavor;
	/* Jumbo frames speed the link up 5-10x under TCG (LAB-NOTES); QEMU's
	 * socket netdev carries them, a vde_switch does not. */
	int mtu = w->kind == LAB_LINK_SOCKET ? 9000 : 1500;

	const char *hypervisor = f->l0_xen ? img->l0_xen : img->xen;
	const char *dom0 = f->l0_xen ? img->l0_dom0 : img->dom0;

	if (!hypervisor || !dom0 || strchr(img->kernel, ',') ||
	    strchr(dom0, ','))
		return BL_ERR_INVAL; /* -initrd separates modules with commas */
	push(&a, "qemu-system-x86_64");
	push(&a, "-name");
	push(&a, "blanket-lab-node%d", n->index);
	push(&a, "-accel");
	push(&a, "tcg");
	push(&a, "-cpu");
	push(&a, "%s", f->cpu);
	push(&a, "-m");
	push(&a, "%d", f->mem_mb);
	push(&a, "-smp");
	push(&a, "1");
	push(&a, "-display");
	push(&a, "none");
	push(&a, "-nodefaults");
	push(&a, "-no-reboot");
	push(&a, "-serial");
	push(&a, "file:%s", serial_log);
	push(&a, "-kernel");
	push(&a, "%s", hypervisor);
	/* An L0 Xen is the cloud's: Debian's, with only what TCG needs. The
	 * node's hypervisor gets XEN_SCRUB wherever it runs. */
	push(&a, "-append");
	if (f->l0_xen)
		push(&a, "console=com1 com1=115200,8n1 %s%s noreboot", DOM0_MEM,
		     f->xen_args);
	else
		push(&a, "console=com1 com1=115200,8n1 %s %s%s noreboot",
		     DOM0_MEM, XEN_SCRUB, f->xen_args);
	/* The node's parameters (lab/image/dom0-setup); an L0 Xen's dom0
	 * hands them on to the node it starts (lab/image/l0-start-node). */
	push(&a, "-initrd");
	push(&a,
	     "%s console=hvc0 earlyprintk=xen%s blanket.node=node%d "
	     "blanket.addr=10.99.0.%d/24 blanket.mtu=%d "
	     "blanket.overlay=10.200.0.%d/24 blanket.dhcp=10.98.0.%d/24,%s",
	     img->kernel, f->l0_xen ? " blanket.role=l0" : "", n->index,
	     n->index, mtu, n->index, LAB_DHCP_HOST_BASE + n->index, dom0);
	switch (w->kind) {
	case LAB_LINK_SOCKET:
		push(&a, "-netdev");
		push(&a, "socket,id=link,%s=127.0.0.1:%d",
		     n->index == 1 ? "listen" : "connect", w->port);
		break;
	case LAB_LINK_SWITCH:
		push(&a, "-netdev");
		push(&a, "vde,id=link,sock=%s", w->switch_dir);
		break;
	}
	push(&a, "-device");
	push(&a, "%s,netdev=link,mac=52:54:00:99:00:%02x", f->nic, n->index);
	push(&a, "-netdev");
	push(&a,
	     "user,id=ctl,restrict=on,hostfwd=tcp:127.0.0.1:%d-%s,"
	     "hostfwd=tcp:127.0.0.1:%d-%s",
	     n->ctl_port, AGENT_ADDR, n->rpc_port, BLANKETD_ADDR);
	push(&a, "-device");
	push(&a, "%s,netdev=ctl,mac=52:54:00:c7:00:%02x", f->nic, n->index);
	if (a.rc) {
		node_argv_free(a.v);
		return a.rc;
	}
	*argv_r = a.v;
	return BL_OK;
}

void node_argv_free(char **argv)
{
	if (!argv)
		return;
	for (size_t i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
}

int node_spawn(struct lab_node *n, char **argv, const char *qemu_log)
{
	int fd = open(qemu_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	pid_t pid;

	if (fd < 0) {
		log_warn("cannot create %s", qemu_log);
		return BL_ERR_IO;
	}
	pid = fork();
	if (pid < 0) {
		log_warn("fork");
		close(fd);
		return BL_ERR_IO;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		/* Its own session: a Ctrl-C at the CLI is ours to handle. */
		setsid();
		dup2(null, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execvp(argv[0], argv);
		fprintf(stderr, "cannot execute %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	close(fd);
	n->pid = pid;
	return BL_OK;
}

bool node_pid_is(pid_t pid, const char *want)
{
	char path[64], cmd[256] = "";
	ssize_t r;
	int fd;

	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	r = read(fd, cmd, sizeof(cmd) - 1);
	close(fd);
	if (r <= 0)
		return false; /* a zombie has an empty cmdline */
	cmd[r] = '\0';
	return strstr(cmd, want) != NULL;
}

void node_kill(pid_t pid, int grace_ms)
{
	int64_t deadline = fdio_now_ms() + grace_ms;

	if (pid <= 0 || kill(pid, SIGTERM) < 0)
		return;
	while (fdio_now_ms() < deadline) {
		if (waitpid(pid, NULL, WNOHANG) == pid || kill(pid, 0) < 0)
			return;
		usleep(50000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, WNOHANG);
}
