/* The block backend's xenbus handshake: the sequences a frontend and the
 * toolstack walk it through, and that every decision, acted on, asks for
 * nothing more. */
#include <CUnit/CUnit.h>
#include <stdio.h>

#include "drivers/blk/blk_xenbus.h"
#include "tests/unit/suites.h"

/* v after the process has acted on s (a connect that fails leaves the
 * ring unmapped and writes Closing). */
static struct blk_xb_view acted(struct blk_xb_view v,
				const struct blk_xb_step *s, bool connect_fails)
{
	if (s->disconnect)
		v.connected = false;
	if (s->back >= 0)
		v.back = s->back;
	if (s->connect) {
		v.connected = !connect_fails;
		if (connect_fails)
			v.back = XenbusStateClosing;
	}
	return v;
}

static struct blk_xb_view walk(struct blk_xb_view v, int front)
{
	struct blk_xb_step s;

	v.front = front;
	s = blk_xb_next(&v);
	return acted(v, &s, false);
}

static void test_life(void)
{
	struct blk_xb_view v = {.front = XenbusStateInitialising,
				.back = XenbusStateInitialising,
				.online = true};
	struct blk_xb_step s = blk_xb_next(&v);

	/* Started: publish, InitWait. */
	CU_ASSERT_TRUE(s.publish);
	CU_ASSERT_EQUAL(s.back, XenbusStateInitWait);
	v = acted(v, &s, false);
	/* The frontend published its ring: connect. */
	v.front = XenbusStateInitialised;
	s = blk_xb_next(&v);
	CU_ASSERT_TRUE(s.connect);
	CU_ASSERT_EQUAL(s.back, XenbusStateConnected);
	v = acted(v, &s, false);
	CU_ASSERT_TRUE(v.connected);
	/* The frontend sees us and says Connected: nothing to do. */
	v.front = XenbusStateConnected;
	s = blk_xb_next(&v);
	CU_ASSERT_FALSE(s.connect || s.disconnect || s.publish || s.exit);
	CU_ASSERT_EQUAL(s.back, -1);
	/* The guest's kernel closes and starts again (kexec, reboot in
	 * place): Closing, Closed (online stays), Initialising, again. */
	v = walk(v, XenbusStateClosing);
	CU_ASSERT_FALSE(v.connected);
	CU_ASSERT_EQUAL(v.back, XenbusStateClosing);
	v.front = XenbusStateClosed;
	s = blk_xb_next(&v);
	CU_ASSERT_TRUE(s.reset);
	CU_ASSERT_FALSE(s.exit);
	v = acted(v, &s, false);
	CU_ASSERT_EQUAL(v.back, XenbusStateClosed);
	v.front = XenbusStateInitialising;
	s = blk_xb_next(&v);
	CU_ASSERT_TRUE(s.publish);
	CU_ASSERT_EQUAL(s.back, XenbusStateInitWait);
	v = acted(v, &s, false);
	v = walk(v, XenbusStateConnected);
	CU_ASSERT_TRUE(v.connected);
	CU_ASSERT_EQUAL(v.back, XenbusStateConnected);
	/* Detached by the toolstack: online 0, the frontend closes: end. */
	v.online = false;
	v = walk(v, XenbusStateClosing);
	v.front = XenbusStateClosed;
	s = blk_xb_next(&v);
	CU_ASSERT_TRUE(s.exit);
	CU_ASSERT_EQUAL(s.back, XenbusStateClosed);
}

static void test_frontend_vanishes(void)
{
	struct blk_xb_view v = {.front = BLK_XB_FRONT_GONE,
				.back = XenbusStateConnected,
				.online = true,
				.connected = true};
	struct blk_xb_step s = blk_xb_next(&v);

	/* The domain died: unmap, say Closed (libxl waits for it), end. */
	CU_ASSERT_TRUE(s.disconnect);
	CU_ASSERT_TRUE(s.reset);
	CU_ASSERT_EQUAL(s.back, XenbusStateClosed);
	CU_ASSERT_TRUE(s.exit);
	/* A state no blkif frontend has: closed down the same way. */
	v.front = 42;
	s = blk_xb_next(&v);
	CU_ASSERT_TRUE(s.exit);
	CU_ASSERT_PTR_NOT_NULL(s.why);
	CU_ASSERT_STRING_EQUAL(blk_xb_state_name(4), "Connected");
	CU_ASSERT_STRING_EQUAL(blk_xb_state_name(42), "invalid");
}

static bool idle(const struct blk_xb_step *s)
{
	return !s->publish && !s->connect && !s->disconnect && !s->reset &&
	       s->back < 0 && !s->exit;
}

/* Every view, its decisions acted on one after another, settles within a
 * few steps (or ends); nothing connects but from InitWait; and nothing
 * stays connected once the frontend closes or goes. */
static void test_converges(void)
{
	for (int front = -1; front <= 9; front++)
		for (int back = 0; back <= 8; back++)
			for (int bits = 0; bits < 8; bits++) {
				struct blk_xb_view w = {
				    .front = front,
				    .back = back,
				    .online = bits & 1,
				    .connected = bits & 2,
				};
				struct blk_xb_step s = {.back = -1};
				int steps = 0;

				for (; steps < 4; steps++) {
					s = blk_xb_next(&w);
					if (idle(&s))
						break;
					if (s.connect)
						CU_ASSERT_EQUAL(
						    w.back,
						    XenbusStateInitWait);
					w = acted(w, &s, bits & 4);
					if (s.exit)
						break;
				}
				if (steps == 4) {
					fprintf(stderr,
						"\nfront %d back %d bits %d: "
						"never settles\n",
						front, back, bits);
					CU_FAIL("never settles");
				}
				if (front == BLK_XB_FRONT_GONE ||
				    front >= XenbusStateClosing)
					CU_ASSERT_FALSE(w.connected);
			}
}

void suite_blk_xenbus(void)
{
	CU_pSuite s = CU_add_suite("block backend handshake", NULL, NULL);

	CU_add_test(s, "a disk's life", test_life);
	CU_add_test(s, "the frontend vanishes", test_frontend_vanishes);
	CU_add_test(s, "every view settles", test_converges);
}
