/*
 * The lab's test guest: runs as /init of a PV guest and prints
 *     heartbeat <counter> <seconds.milliseconds>
 * on the console every 100 ms. The counter shows whether a guest kept running
 * across save/restore or migration (the next line after a move must carry the
 * last counter + 1); the guest clock is only a rough hint of the pause.
 *
 * Settings from the kernel command line (the kernel hands init its unknown
 * NAME=VALUE parameters as environment variables):
 *     beat_ms=N      a beat every N ms (1 to 10000; default 100)
 *     dirty_mib_s=R  dirty R MiB of memory per second (default 0), steadily:
 *                    every 10 ms the pages due so far, cycling through a
 *                    DIRTY_MIB region; each page dirtied is rewritten with
 *                    bytes of 16 values (deflate shrinks such pages about
 *                    2:1). The beat line then ends with " dirtied <MiB>", the
 *                    total so far, so a reader can check the rate reached.
 *     dirty_words=N  with dirty_mib_s: rewrite only N words (8 bytes each,
 *                    at random places) of each page dirtied, as most
 *                    workloads dirty memory (1 to 512; default 512: the
 *                    whole page). The rate still counts whole pages.
 *
 * It also keeps CHECK_PAGES pages it never changes once written, every other
 * one zero (written with data first, so each is a page of its own) and the
 * rest filled with a byte of their own, and checks CHECK_PER_BEAT of them
 * each beat, round and round: a page a move lost, or a zero page the
 * destination did not give zeroed, shows on the console as
 *     heartbeat: memory check failed: page <n>
 *
 * Installed as /sbin/poweroff and /sbin/reboot too: a PV guest asked to
 * shut down or reboot (xl, blanket) has its kernel run one of them, which
 * here does it at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lab/guest/guest_init.h"

#define DIRTY_MIB     32
#define DIRTY_TICK_NS 10000000L
#define PAGE	      4096

static long setting(const char *name, long def, long min, long max)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (!v)
		return def;
	n = strtol(v, &end, 10);
	return *end || n < min || n > max ? def : n;
}

static int64_t ns_of(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static void advance(struct timespec *t, long ns)
{
	t->tv_nsec += ns;
	while (t->tv_nsec >= 1000000000L) {
		t->tv_nsec -= 1000000000L;
		t->tv_sec++;
	}
}

#define CHECK_PAGES    2048 /* 8 MiB */
#define CHECK_PER_BEAT 64   /* all of them every 32 beats */

/* What check page i holds: zero for even i, else a byte of its own. */
static uint8_t check_byte(size_t i)
{
	return i % 2 ? (uint8_t)(i * 131 % 255 + 1) : 0;
}

static uint8_t *check_make(void)
{
	uint8_t *pages = aligned_alloc(PAGE, (size_t)CHECK_PAGES * PAGE);

	for (size_t i = 0; pages && i < CHECK_PAGES; i++) {
		memset(pages + i * PAGE, 0xa5, PAGE);
		/* the write above stays: the page becomes the guest's own */
		__asm__ volatile("" : : "r"(pages) : "memory");
		memset(pages + i * PAGE, check_byte(i), PAGE);
	}
	return pages;
}

/* Check the next CHECK_PER_BEAT pages from *next. */
static void check_some(const uint8_t *pages, size_t *next)
{
	for (int n = 0; pages && n < CHECK_PER_BEAT; n++) {
		const uint8_t *p = pages + *next * PAGE;

		for (size_t b = 0; b < PAGE; b++)
			if (p[b] != check_byte(*next)) {
				printf("heartbeat: memory check failed: page "
				       "%zu\n",
				       *next);
				break;
			}
		*next = (*next + 1) % CHECK_PAGES;
	}
}

/* Memory dirtied at a steady rate. */
struct dirtier {
	uint64_t *region;
	size_t pages;	/* in the region */
	long mib_s;	/* the rate */
	int64_t start;	/* CLOCK_MONOTONIC ns */
	long words;	/* rewritten in each page dirtied */
	uint64_t done;	/* pages dirtied */
	uint64_t state; /* xorshift64 */
};

static uint64_t next_random(struct dirtier *d)
{
	d->state ^= d->state << 13;
	d->state ^= d->state >> 7;
	d->state ^= d->state << 17;
	return d->state;
}

static void dirty_page(struct dirtier *d)
{
	uint64_t *p = d->region + (d->done % d->pages) * (PAGE / 8);

	if (d->words == PAGE / 8)
		for (size_t i = 0; i < PAGE / 8; i++)
			p[i] = next_random(d) & 0x0f0f0f0f0f0f0f0full;
	else
		for (long i = 0; i < d->words; i++)
			p[next_random(d) % (PAGE / 8)] =
			    next_random(d) & 0x0f0f0f0f0f0f0f0full;
	d->done++;
}

/* Dirty the pages due by now. */
static void dirty_due(struct dirtier *d, int64_t now)
{
	uint64_t due = (uint64_t)((double)(now - d->start) / 1e9 *
				  (double)d->mib_s * (1024.0 * 1024 / PAGE));

	while (d->done < due)
		dirty_page(d);
}

int main(int argc, char **argv)
{
	struct timespec next, now, tick;
	unsigned long long counter = 0;
	long beat_ns = setting("beat_ms", 100, 1, 10000) * 1000000L;
	struct dirtier d = {.mib_s = setting("dirty_mib_s", 0, 0, 4096),
			    .words =
				setting("dirty_words", PAGE / 8, 1, PAGE / 8),
			    .state = 88172645463325252ull};
	uint8_t *check;
	size_t check_next = 0;

	guest_shutdown_if_asked(argc, argv);
	guest_console();
	check = check_make();
	if (!check)
		printf("heartbeat: no memory for the memory check\n");
	if (d.mib_s) {
		d.pages = (size_t)DIRTY_MIB * 1024 * 1024 / PAGE;
		d.region = malloc(d.pages * PAGE);
		if (!d.region)
			d.mib_s = 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &next);
	d.start = ns_of(&next);
	for (;;) {
		clock_gettime(CLOCK_REALTIME, &now);
		if (d.mib_s)
			printf("heartbeat %llu %lld.%03ld dirtied %llu\n",
			       counter++, (long long)now.tv_sec,
			       now.tv_nsec / 1000000L,
			       (unsigned long long)(d.done * PAGE >> 20));
		else
			printf("heartbeat %llu %lld.%03ld\n", counter++,
			       (long long)now.tv_sec, now.tv_nsec / 1000000L);
		check_some(check, &check_next);
		advance(&next, beat_ns);
		/* Until the next beat: dirty in 10 ms steps, then sleep. */
		for (;;) {
			clock_gettime(CLOCK_MONOTONIC, &tick);
			if (d.mib_s)
				dirty_due(&d, ns_of(&tick));
			advance(&tick, DIRTY_TICK_NS);
			if (!d.mib_s || ns_of(&tick) >= ns_of(&next))
				break;
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
					       &tick, NULL) == EINTR)
				;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next,
				       NULL) == EINTR)
			;
	}
}
