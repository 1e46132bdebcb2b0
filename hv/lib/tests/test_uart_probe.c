/*
 * test_uart_probe.c - the console's UART probe (hv/lib/uart_probe.c)
 * against the hv's own 16550 model (hv/dev/uart16550.c) placed in a fake
 * register window: at the right stride it answers, at the wrong stride,
 * in empty space or in plain memory it does not.
 */
#include "dev/tests/devtest.h"
#include "dev/uart16550.h"
#include "uart_probe.h"

#define B COM1_BASE

static struct uart16550 u;

/* A window of 64 bytes: the model's registers `stride` bytes apart
 * (bytes between them read 0), or (mirror) every 8 bytes repeating the
 * model, or (ram) plain bytes, or nothing (reads 0xff). */
enum kind { MODEL, MIRROR, RAM, EMPTY };
struct window {
	enum kind kind;
	unsigned stride;
	u8 ram[64];
};

static u8 win_read(struct window *w, unsigned off)
{
	switch (w->kind) {
	case MODEL:
		if (off % w->stride || off / w->stride >= 8)
			return 0;
		return in8(&uart_ops, &u, B + off / w->stride, 0);
	case MIRROR:
		return in8(&uart_ops, &u, B + off % 8, 0);
	case RAM:
		return w->ram[off % 64];
	default:
		return 0xff;
	}
}

static void win_write(struct window *w, unsigned off, u8 v)
{
	switch (w->kind) {
	case MODEL:
		if (off % w->stride == 0 && off / w->stride < 8)
			out8(&uart_ops, &u, B + off / w->stride, v, 0);
		break;
	case MIRROR:
		out8(&uart_ops, &u, B + off % 8, v, 0);
		break;
	case RAM:
		w->ram[off % 64] = v;
		break;
	default:
		break;
	}
}

/* What console.c does: run the steps at `stride`, stop at a mismatch. */
static bool probe(struct window *w, unsigned stride, bool loopback)
{
	unsigned n;
	const struct uart_step *s = uart_probe_steps(loopback, &n);
	for (unsigned i = 0; i < n; i++) {
		if (s[i].op == UART_STEP_WRITE)
			win_write(w, s[i].reg * stride, s[i].value);
		else if ((win_read(w, s[i].reg * stride) & s[i].mask) != s[i].value)
			return false;
	}
	return true;
}

static int setup(void **state)
{
	struct irq_line l = { 0 };
	uart_init(&u, B, &l, NULL, NULL);
	return 0;
}

static void test_right_stride_answers(void **state)
{
	struct window w = { .kind = MODEL, .stride = 1 };
	assert_true(probe(&w, 1, false));
	assert_true(probe(&w, 1, true));
	/* Loopback is off again afterwards (MCR 0). */
	assert_int_equal(in8(&uart_ops, &u, B + UART_MCR, 0), 0);
	w.stride = 4;
	assert_true(probe(&w, 4, true));
}

static void test_wrong_stride_fails(void **state)
{
	/* Registers 4 bytes apart, probed 1 apart: offset 7 is no register. */
	struct window w = { .kind = MODEL, .stride = 4 };
	assert_false(probe(&w, 1, false));
	/* Registers 1 apart, probed 4 apart: offset 28 is past them... */
	w.stride = 1;
	assert_false(probe(&w, 4, false));
	/* ...or, where the card mirrors its 8 registers, lands on MCR,
	 * whose bits 7:5 read 0. */
	struct window m = { .kind = MIRROR, .stride = 1 };
	assert_false(probe(&m, 4, false));
	assert_true(probe(&m, 1, true));
}

static void test_nothing_or_memory(void **state)
{
	struct window e = { .kind = EMPTY, .stride = 1 };
	assert_false(probe(&e, 1, false));
	/* Plain memory keeps the scratch patterns; only loopback tells. */
	struct window r = { .kind = RAM, .stride = 1 };
	assert_true(probe(&r, 1, false));
	assert_false(probe(&r, 1, true));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_right_stride_answers, setup),
		cmocka_unit_test_setup(test_wrong_stride_fails, setup),
		cmocka_unit_test_setup(test_nothing_or_memory, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
