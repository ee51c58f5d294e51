/* The connection table of slots.h: an array in a MAP_SHARED mapping,
 * guarded by a robust process-shared mutex (a session that dies holding it
 * does not wedge the daemon). */
#include "toolstack/blanketd/slots.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "toolstack/common/fdio.h"

enum slot_state {
	SLOT_FREE,
	SLOT_HANDSHAKE, /* admitted from TCP, not authenticated yet */
	SLOT_SESSION,	/* an authenticated TCP session */
	SLOT_LOCAL,	/* on the UNIX socket */
};

struct slot {
	enum slot_state state;
	enum ca_role role; /* SLOT_SESSION's */
	uint32_t addr;	   /* TCP's */
	pid_t pid;	   /* 0 until assigned */
};

struct slots {
	pthread_mutex_t lock;
	int max_sessions;
	int64_t log_window_end; /* fdio_now_ms() */
	int logged, dropped;	/* in the window; since the last report */
	int n;
	struct slot slot[];
};

int slots_create(int max_sessions, struct slots **slots_r)
{
	int n = max_sessions + SLOTS_HANDSHAKES + SLOTS_LOCAL;
	size_t size = sizeof(struct slots) + (size_t)n * sizeof(struct slot);
	pthread_mutexattr_t attr;
	struct slots *t;

	t = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		 -1, 0);
	if (t == MAP_FAILED)
		return BL_ERR_NOMEM;
	memset(t, 0, size);
	t->max_sessions = max_sessions;
	t->n = n;
	if (pthread_mutexattr_init(&attr) ||
	    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED) ||
	    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST) ||
	    pthread_mutex_init(&t->lock, &attr)) {
		munmap(t, size);
		return BL_ERR_FAIL;
	}
	pthread_mutexattr_destroy(&attr);
	*slots_r = t;
	return BL_OK;
}

static void lock(struct slots *t)
{
	if (pthread_mutex_lock(&t->lock) == EOWNERDEAD)
		pthread_mutex_consistent(&t->lock);
}

static void unlock(struct slots *t)
{
	pthread_mutex_unlock(&t->lock);
}

/* How many slots are in state, and (addr != 0) from addr, (role valid) of
 * role. Under the lock. */
static int count(const struct slots *t, enum slot_state state, uint32_t addr,
		 enum ca_role role)
{
	int n = 0;

	for (int i = 0; i < t->n; i++) {
		const struct slot *s = &t->slot[i];

		n += s->state == state && (!addr || s->addr == addr) &&
		     (role == CA_ROLE_COUNT || s->role == role);
	}
	return n;
}

/* A free slot set to state, or -1. Under the lock. */
static int take_free(struct slots *t, enum slot_state state, uint32_t addr)
{
	for (int i = 0; i < t->n; i++) {
		if (t->slot[i].state != SLOT_FREE)
			continue;
		t->slot[i] = (struct slot){
		    .state = state, .role = CA_ROLE_COUNT, .addr = addr};
		return i;
	}
	return -1;
}

int slots_admit_tcp(struct slots *t, uint32_t addr, char *why, size_t len)
{
	int slot = -1;

	lock(t);
	if (count(t, SLOT_HANDSHAKE, addr, CA_ROLE_COUNT) >=
	    SLOTS_HANDSHAKES_PER_ADDR)
		snprintf(why, len, "%d handshakes from that address already",
			 SLOTS_HANDSHAKES_PER_ADDR);
	else if (count(t, SLOT_HANDSHAKE, 0, CA_ROLE_COUNT) >= SLOTS_HANDSHAKES)
		snprintf(why, len, "%d handshakes already", SLOTS_HANDSHAKES);
	else if (count(t, SLOT_SESSION, 0, CA_ROLE_COUNT) >= t->max_sessions)
		snprintf(why, len, "%d sessions already", t->max_sessions);
	else
		slot = take_free(t, SLOT_HANDSHAKE, addr);
	unlock(t);
	return slot;
}

int slots_admit_local(struct slots *t, char *why, size_t len)
{
	int slot = -1;

	lock(t);
	if (count(t, SLOT_LOCAL, 0, CA_ROLE_COUNT) >= SLOTS_LOCAL)
		snprintf(why, len, "%d local sessions already", SLOTS_LOCAL);
	else
		slot = take_free(t, SLOT_LOCAL, 0);
	unlock(t);
	return slot;
}

void slots_assign(struct slots *t, int slot, pid_t pid)
{
	lock(t);
	t->slot[slot].pid = pid;
	unlock(t);
}

void slots_release(struct slots *t, pid_t pid)
{
	lock(t);
	for (int i = 0; i < t->n; i++)
		if (t->slot[i].state != SLOT_FREE && t->slot[i].pid == pid)
			t->slot[i].state = SLOT_FREE;
	unlock(t);
}

int slots_take_session(struct slots *t, int slot, enum ca_role role, char *why,
		       size_t len)
{
	int all, others, viewers, rc = BL_ERR_BUSY;

	lock(t);
	all = count(t, SLOT_SESSION, 0, CA_ROLE_COUNT);
	others = all - count(t, SLOT_SESSION, 0, CA_ROLE_OPERATOR);
	viewers = count(t, SLOT_SESSION, 0, CA_ROLE_VIEWER);
	if (all >= t->max_sessions)
		snprintf(why, len, "node busy: %d sessions already", all);
	else if (role != CA_ROLE_OPERATOR &&
		 others >= t->max_sessions - SLOTS_OPERATOR_RESERVE)
		snprintf(why, len,
			 "node busy: %d sessions of nodes and viewers "
			 "already; the rest are kept for operators",
			 others);
	else if (role == CA_ROLE_VIEWER && viewers >= SLOTS_VIEWERS)
		snprintf(why, len, "node busy: %d viewers' sessions already",
			 viewers);
	else {
		t->slot[slot].state = SLOT_SESSION;
		t->slot[slot].role = role;
		rc = BL_OK;
	}
	unlock(t);
	return rc;
}

bool slots_log_budget(struct slots *t)
{
	int64_t now = fdio_now_ms();
	bool ok;

	lock(t);
	if (now >= t->log_window_end) {
		t->log_window_end = now + SLOTS_LOG_WINDOW_MS;
		t->logged = 0;
	}
	ok = t->logged < SLOTS_LOG_LINES;
	if (ok)
		t->logged++;
	else
		t->dropped++;
	unlock(t);
	return ok;
}

int slots_logs_dropped(struct slots *t)
{
	int n = 0;

	lock(t);
	if (fdio_now_ms() >= t->log_window_end) {
		n = t->dropped;
		t->dropped = 0;
	}
	unlock(t);
	return n;
}
