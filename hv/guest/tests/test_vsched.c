/*
 * test_vsched.c - the vCPU scheduler's rules (hv/guest/vsched.c): due
 * halted vCPUs first and earliest first, round robin among busy ones,
 * ended and sleeping ones never picked, and the deadline that preempts a
 * busy vCPU when a halted one falls due.  Ends with a small simulation of
 * the two cases that starved a halted guest before: a busy guest beside a
 * guest waiting for 10 ticks of a 10 ms timer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "guest/vsched.h"

#define MS 1000000ull
#define SLICE (10 * MS)

static void test_round_robin(void **state)
{
	struct vsched_vcpu v[3] = { { 0 } };
	assert_int_equal(vsched_pick(v, 3, -1, 0), 0);
	assert_int_equal(vsched_pick(v, 3, 0, 0), 1);
	assert_int_equal(vsched_pick(v, 3, 1, 0), 2);
	assert_int_equal(vsched_pick(v, 3, 2, 0), 0);
	v[1].ended = true;
	assert_int_equal(vsched_pick(v, 3, 0, 0), 2);
	v[2].halted = true;
	v[2].wake_ns = 5 * MS;
	/* the only runnable one runs again; the sleeping one is not due */
	assert_int_equal(vsched_pick(v, 3, 0, 1 * MS), 0);
}

static void test_due_first(void **state)
{
	struct vsched_vcpu v[3] = { { 0 } };
	v[1].halted = true;
	v[1].wake_ns = 30 * MS;
	v[2].halted = true;
	v[2].wake_ns = 20 * MS;
	/* not yet due: the busy one */
	assert_int_equal(vsched_pick(v, 3, 0, 19 * MS), 0);
	/* one due */
	assert_int_equal(vsched_pick(v, 3, 0, 20 * MS), 2);
	/* both due: the earliest, whoever ran last */
	assert_int_equal(vsched_pick(v, 3, 2, 31 * MS), 2);
	assert_int_equal(vsched_pick(v, 3, 1, 31 * MS), 2);
	/* an ended one is never due */
	v[2].ended = true;
	assert_int_equal(vsched_pick(v, 3, 0, 31 * MS), 1);
}

static void test_all_asleep(void **state)
{
	struct vsched_vcpu v[2] = { { .halted = true, .wake_ns = 7 * MS },
				    { .halted = true, .wake_ns = VSCHED_NEVER } };
	assert_int_equal(vsched_pick(v, 2, 0, 6 * MS), -1);
	assert_int_equal(vsched_next_wake(v, 2, -1), 7 * MS);
	assert_int_equal(vsched_next_wake(v, 2, 0), VSCHED_NEVER);
	assert_int_equal(vsched_pick(v, 2, 0, 7 * MS), 0);
	v[0].ended = true;
	assert_int_equal(vsched_next_wake(v, 2, -1), VSCHED_NEVER);
	assert_int_equal(vsched_pick(v, 2, 0, 100 * MS), -1);
}

static void test_deadline(void **state)
{
	struct vsched_vcpu v[3] = { { 0 } };
	/* nobody asleep: the whole slice */
	assert_int_equal(vsched_deadline(v, 3, 0, 100 * MS, SLICE), 110 * MS);
	/* a sleeper due inside the slice cuts it */
	v[1].halted = true;
	v[1].wake_ns = 103 * MS;
	assert_int_equal(vsched_deadline(v, 3, 0, 100 * MS, SLICE), 103 * MS);
	/* one due after the slice does not */
	v[1].wake_ns = 200 * MS;
	assert_int_equal(vsched_deadline(v, 3, 0, 100 * MS, SLICE), 110 * MS);
	/* already overdue: now */
	v[1].wake_ns = 90 * MS;
	assert_int_equal(vsched_deadline(v, 3, 0, 100 * MS, SLICE), 100 * MS);
	/* the runner's own wake time does not count */
	assert_int_equal(vsched_deadline(v, 3, 1, 100 * MS, SLICE), 110 * MS);
	/* an ended sleeper does not count */
	v[1].ended = true;
	assert_int_equal(vsched_deadline(v, 3, 0, 100 * MS, SLICE), 110 * MS);
}

/*
 * Simulate guest 0 busy forever and guest 1 waiting for `ticks` timer
 * ticks every PERIOD, handling each in HANDLE ns and halting again; the
 * hv's timer has SLACK ns of delay.  Returns the worst delay between a
 * tick falling due and guest 1 getting the CPU, and sets *done_ns to when
 * guest 1 handled its last tick.
 */
#define PERIOD (10 * MS)
#define HANDLE 50000ull
#define SLACK 20000ull
static u64 simulate(int ticks, u64 *done_ns)
{
	struct vsched_vcpu v[2] = { { 0 }, { .halted = true, .wake_ns = PERIOD } };
	u64 now = 0, worst = 0;
	int last = -1, got = 0;
	while (got < ticks) {
		int i = vsched_pick(v, 2, last, now);
		assert_true(i >= 0); /* guest 0 is always runnable */
		if (i == 1) {
			u64 late = now - v[1].wake_ns;
			if (late > worst)
				worst = late;
			now += HANDLE;
			got++;
			v[1].wake_ns += PERIOD;
		} else {
			u64 d = vsched_deadline(v, 2, 0, now, SLICE);
			now = (d > now ? d : now) + SLACK;
		}
		last = i;
	}
	*done_ns = now;
	return worst;
}

/* A runnable vCPU whose disk completion came while another ran: picked
 * before round robin, and it cuts the running one's slice short. */
static void test_kicked(void **state)
{
	struct vsched_vcpu v[3] = { { 0 } };
	v[2].kicked = true;
	v[2].wake_ns = 4 * MS;
	/* not yet due: round robin as usual, but the deadline is its kick */
	assert_int_equal(vsched_pick(v, 3, 0, 3 * MS), 1);
	assert_int_equal(vsched_deadline(v, 3, 1, 3 * MS, SLICE), 4 * MS);
	/* due: it goes first although round robin would pick 1 */
	assert_int_equal(vsched_pick(v, 3, 0, 4 * MS), 2);
	assert_int_equal(vsched_next_wake(v, 3, -1), 4 * MS);
	/* an earlier due halted vCPU still comes first */
	v[0].halted = true;
	v[0].wake_ns = 2 * MS;
	assert_int_equal(vsched_pick(v, 3, 1, 5 * MS), 0);
	/* without the kick, vCPU 2 is just another busy one */
	v[2].kicked = false;
	assert_int_equal(vsched_next_wake(v, 3, 0), VSCHED_NEVER);
}

static void test_busy_beside_sleeper(void **state)
{
	u64 done;
	u64 worst = simulate(10, &done);
	/* each tick within the timer slack, the 10 ticks in ~100 ms, not
	 * after the busy guest's slices (the 2.08 s seen before) */
	assert_true(worst <= SLACK);
	assert_true(done <= 10 * PERIOD + SLACK + HANDLE);
	assert_true(done >= 10 * PERIOD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_robin),
		cmocka_unit_test(test_due_first),
		cmocka_unit_test(test_all_asleep),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_kicked),
		cmocka_unit_test(test_busy_beside_sleeper),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
