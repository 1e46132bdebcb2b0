/*
 * test_uart.c - the 16550A as Linux's 8250 driver probes it (autoconfig:
 * IER test, loopback MSR test, FIFO identification, EFR/XScale checks;
 * startup: THRE re-assertion) and drives it, plus the datasheet's IIR
 * priority order, DLAB, FIFO trigger levels, overrun and OUT2 gating.
 */
#include "dev/tests/devtest.h"
#include "dev/uart16550.h"

#define B COM1_BASE

static struct uart16550 u;
static struct irq_rec rec;
static u8 sent[64];
static unsigned nsent;

static void sink(void *ctx, u8 byte)
{
	assert_ptr_equal(ctx, &nsent);
	if (nsent < sizeof(sent))
		sent[nsent++] = byte;
}

static u8 rd(unsigned reg) { return in8(&uart_ops, &u, B + reg, 0); }
static void wr(unsigned reg, u8 v) { out8(&uart_ops, &u, B + reg, v, 0); }

static int setup(void **state)
{
	memset(&rec, 0, sizeof(rec));
	nsent = 0;
	struct irq_line l = irq_rec_line(&rec, COM1_IRQ);
	uart_init(&u, B, &l, sink, &nsent);
	return 0;
}

static void test_reset_values(void **state)
{
	assert_int_equal(rd(UART_IER), 0);
	assert_int_equal(rd(UART_IIR), 0x01);
	assert_int_equal(rd(UART_LCR), 0);
	assert_int_equal(rd(UART_MCR), 0);
	assert_int_equal(rd(UART_LSR), 0x60);
	assert_int_equal(rd(UART_MSR) & 0xf0, 0xb0); /* CTS, DSR, DCD: a terminal is there */
	assert_int_equal(rec.rises[COM1_IRQ], 0);
}

static void test_transmit(void **state)
{
	wr(UART_THR, 'h');
	wr(UART_THR, 'i');
	assert_int_equal(nsent, 2);
	assert_memory_equal(sent, "hi", 2);
	assert_int_equal(rd(UART_LSR) & 0x60, 0x60); /* THRE | TEMT: always ready */
	assert_int_equal(u.tx_bytes, 2);
}

static void test_dlab(void **state)
{
	wr(UART_LCR, 0x83); /* DLAB, 8N1 */
	wr(UART_DLL, 0x01);
	wr(UART_DLM, 0x00);
	assert_int_equal(rd(UART_DLL), 0x01);
	assert_int_equal(rd(UART_DLM), 0x00);
	wr(UART_DLL, 0x0c);
	assert_int_equal(nsent, 0); /* divisor writes are not data */
	assert_int_equal(rd(UART_DLL), 0x0c);
	wr(UART_LCR, 0x03);
	assert_int_equal(rd(UART_LCR), 0x03);
	assert_int_equal(rd(UART_IER), 0); /* IER was not touched by DLM writes */
	wr(UART_THR, 'x');
	assert_int_equal(nsent, 1);
}

/* drivers/tty/serial/8250/8250_port.c, autoconfig(). */
static void test_linux_autoconfig(void **state)
{
	u8 scratch = rd(UART_IER);
	wr(UART_IER, 0);
	u8 scratch2 = rd(UART_IER) & 0x0f;
	wr(UART_IER, 0x0f);
	u8 scratch3 = rd(UART_IER) & 0x0f;
	wr(UART_IER, scratch);
	assert_int_equal(scratch2, 0);
	assert_int_equal(scratch3, 0x0f);

	u8 save_mcr = rd(UART_MCR);
	wr(UART_MCR, UART_MCR_LOOP | 0x0a);
	assert_int_equal(rd(UART_MSR) & 0xf0, 0x90);
	wr(UART_MCR, save_mcr);

	wr(UART_LCR, 0xbf); /* UART_LCR_CONF_MODE_B */
	wr(UART_FCR, 0);    /* "EFR" = 0: on a 16550A, FCR */
	wr(UART_LCR, 0);
	wr(UART_FCR, UART_FCR_ENABLE);
	assert_int_equal(rd(UART_IIR) >> 6, 3); /* 16550A */

	/* autoconfig_16550a(): no EFR behind LCR 0x80 or 0xbf... */
	wr(UART_LCR, 0x80);
	assert_int_not_equal(rd(UART_IIR), 0);
	wr(UART_LCR, 0xbf);
	assert_int_not_equal(rd(UART_IIR), 0);
	/* ...not a TI16750 (IIR bit 5 stays clear)... */
	wr(UART_LCR, 0);
	wr(UART_FCR, UART_FCR_ENABLE | 0x20);
	assert_int_equal(rd(UART_IIR) >> 5, 6);
	wr(UART_LCR, 0x80);
	wr(UART_FCR, UART_FCR_ENABLE | 0x20);
	assert_int_equal(rd(UART_IIR) >> 5, 6);
	wr(UART_LCR, 0);
	/* ...and not an XScale (IER bit 6 does not stick). */
	wr(UART_IER, 0x40);
	assert_int_equal(rd(UART_IER) & 0x40, 0);
	assert_int_equal(nsent, 0);
}

/* serial8250_do_startup(): THRE must re-assert when ETBEI is re-enabled. */
static void test_thre_reassertion(void **state)
{
	wr(UART_FCR, UART_FCR_ENABLE);
	wr(UART_IER, UART_IER_ETBEI);
	u8 iir1 = rd(UART_IIR);
	wr(UART_IER, 0);
	wr(UART_IER, UART_IER_ETBEI);
	u8 iir = rd(UART_IIR);
	wr(UART_IER, 0);
	assert_int_equal(iir1, 0xc2);
	assert_int_equal(iir, 0xc2);
	/* Reading IIR acknowledged it. */
	wr(UART_IER, UART_IER_ETBEI);
	assert_int_equal(rd(UART_IIR), 0xc2);
	assert_int_equal(rd(UART_IIR), 0xc1);
	/* Writing THR empties and re-raises it. */
	wr(UART_THR, 'a');
	assert_int_equal(rd(UART_IIR), 0xc2);
}

static void test_iir_priorities(void **state)
{
	wr(UART_FCR, UART_FCR_ENABLE); /* trigger level 1 */
	wr(UART_IER, 0x0f);
	assert_int_equal(rd(UART_IIR), 0xc2); /* THRE */
	assert_int_equal(uart_receive(&u, 'x'), 0);
	wr(UART_IER, 0x0d); /* re-arm below */
	wr(UART_IER, 0x0f);
	assert_int_equal(rd(UART_IIR), 0xc4); /* received data beats THRE */
	assert_int_equal(rd(UART_LSR) & 0x01, 0x01);
	assert_int_equal(rd(UART_RBR), 'x');
	assert_int_equal(rd(UART_LSR) & 0x01, 0x00);
	assert_int_equal(rd(UART_IIR), 0xc2); /* now THRE */
	assert_int_equal(rd(UART_IIR), 0xc1);
	/* Overrun: receiver line status beats everything. */
	for (int i = 0; i < UART_FIFO_SIZE; i++)
		assert_int_equal(uart_receive(&u, (u8)i), 0);
	assert_int_equal(uart_rx_room(&u), 0);
	assert_int_equal(uart_receive(&u, 0xee), -1);
	assert_int_equal(rd(UART_IIR), 0xc6);
	assert_int_equal(rd(UART_LSR) & 0x03, 0x03); /* OE | DR, and OE is cleared */
	assert_int_equal(rd(UART_IIR), 0xc4);
	for (int i = 0; i < UART_FIFO_SIZE; i++)
		assert_int_equal(rd(UART_RBR), i); /* the FIFO kept its bytes */
	assert_int_equal(rd(UART_IIR), 0xc1);
	/* Modem status is last: toggle a looped-back line. */
	wr(UART_MCR, UART_MCR_LOOP);
	assert_int_equal(rd(UART_IIR), 0xc0);
	assert_int_equal(rd(UART_MSR) & 0x0f, 0x0b); /* CTS, DSR, DCD dropped */
	assert_int_equal(rd(UART_IIR), 0xc1);
}

static void test_fifo_trigger_and_timeout(void **state)
{
	wr(UART_FCR, 0xc1); /* trigger at 14 */
	wr(UART_IER, UART_IER_ERBFI);
	uart_receive(&u, 'a');
	uart_receive(&u, 'b');
	assert_int_equal(rd(UART_IIR), 0xcc); /* below trigger: character timeout */
	for (int i = 0; i < 12; i++)
		uart_receive(&u, 'c');
	assert_int_equal(rd(UART_IIR), 0xc4);
	wr(UART_FCR, 0xc3); /* clear RX FIFO */
	assert_int_equal(rd(UART_LSR) & 0x01, 0);
	assert_int_equal(rd(UART_IIR), 0xc1);
	/* Turning FIFOs off: one-byte holding register, IIR bits 7:6 clear. */
	wr(UART_FCR, 0);
	assert_int_equal(rd(UART_IIR), 0x01);
	assert_int_equal(uart_receive(&u, '1'), 0);
	assert_int_equal(uart_receive(&u, '2'), -1);
	assert_int_equal(rd(UART_IIR), 0x04);
	assert_int_equal(rd(UART_RBR), '2'); /* 16450 overrun overwrites */
	assert_int_equal(u.rx_overruns, 1);
}

static void test_loopback_data(void **state)
{
	wr(UART_MCR, UART_MCR_LOOP);
	wr(UART_THR, 0x55);
	assert_int_equal(nsent, 0);
	assert_int_equal(rd(UART_LSR) & 0x01, 0x01);
	assert_int_equal(rd(UART_RBR), 0x55);
	assert_int_equal(uart_receive(&u, 'z'), -1); /* input disconnected */
	wr(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT1);
	assert_int_equal(rd(UART_MSR) & 0x40, 0x40); /* RI <- OUT1 */
	wr(UART_MCR, UART_MCR_LOOP);
	assert_int_equal(rd(UART_MSR) & 0x4f, 0x04); /* trailing edge of RI */
	wr(UART_MCR, 0);
	assert_int_equal(rd(UART_MSR), 0xbb); /* lines back, deltas set ... */
	assert_int_equal(rd(UART_MSR), 0xb0); /* ... and cleared by the read */
}

static void test_irq_line_and_out2(void **state)
{
	wr(UART_IER, UART_IER_ETBEI);
	assert_int_equal(rec.level[COM1_IRQ], 0); /* OUT2 clear: IRQ gated off */
	wr(UART_MCR, UART_MCR_OUT2 | UART_MCR_DTR | UART_MCR_RTS);
	assert_int_equal(rec.level[COM1_IRQ], 1);
	assert_int_equal(rec.rises[COM1_IRQ], 1);
	rd(UART_IIR); /* acknowledge THRE */
	assert_int_equal(rec.level[COM1_IRQ], 0);
	/* Each byte written gives the edge-triggered PIC a new edge. */
	wr(UART_THR, 'a');
	assert_int_equal(rec.rises[COM1_IRQ], 2);
	wr(UART_THR, 'b');
	assert_int_equal(rec.rises[COM1_IRQ], 3);
	wr(UART_IER, 0);
	assert_int_equal(rec.level[COM1_IRQ], 0);
	wr(UART_IER, UART_IER_ERBFI);
	uart_receive(&u, 'q');
	assert_int_equal(rec.level[COM1_IRQ], 1);
	rd(UART_RBR);
	assert_int_equal(rec.level[COM1_IRQ], 0);
	/* Loopback disconnects the IRQ output as well. */
	wr(UART_MCR, UART_MCR_OUT2 | UART_MCR_LOOP);
	wr(UART_THR, 'r');
	assert_int_equal(rd(UART_IIR), 0x04);
	assert_int_equal(rec.level[COM1_IRQ], 0);
}

static void test_scratch_and_readonly_regs(void **state)
{
	wr(UART_SCR, 0xa5);
	assert_int_equal(rd(UART_SCR), 0xa5);
	wr(UART_LSR, 0x00);
	assert_int_equal(rd(UART_LSR), 0x60);
	wr(UART_MCR, 0xff);
	assert_int_equal(rd(UART_MCR), 0x1f);
}

static void test_line_buffer(void **state)
{
	struct uart_line l = { 0 };
	const char *line;
	u32 len;
	const char *in = "ok\r\n\x1b[0m\tx\n";
	char got[2][32];
	int n = 0;
	for (const char *p = in; *p; p++)
		if (uart_line_put(&l, (u8)*p, &line, &len)) {
			memcpy(got[n], line, len);
			got[n][len] = 0;
			n++;
		}
	assert_int_equal(n, 2);
	assert_string_equal(got[0], "ok");
	assert_string_equal(got[1], "?[0m\tx");
	assert_false(uart_line_flush(&l, &line, &len));
	uart_line_put(&l, 'z', &line, &len);
	assert_true(uart_line_flush(&l, &line, &len));
	assert_int_equal(len, 1);
	/* Long lines are cut, not lost. */
	int cuts = 0;
	for (int i = 0; i < UART_LINE_MAX + 10; i++)
		if (uart_line_put(&l, 'a', &line, &len)) {
			cuts++;
			assert_int_equal(len, UART_LINE_MAX);
		}
	assert_int_equal(cuts, 1);
	assert_true(uart_line_flush(&l, &line, &len));
	assert_int_equal(len, 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_reset_values, setup),
		cmocka_unit_test_setup(test_transmit, setup),
		cmocka_unit_test_setup(test_dlab, setup),
		cmocka_unit_test_setup(test_linux_autoconfig, setup),
		cmocka_unit_test_setup(test_thre_reassertion, setup),
		cmocka_unit_test_setup(test_iir_priorities, setup),
		cmocka_unit_test_setup(test_fifo_trigger_and_timeout, setup),
		cmocka_unit_test_setup(test_loopback_data, setup),
		cmocka_unit_test_setup(test_irq_line_and_out2, setup),
		cmocka_unit_test_setup(test_scratch_and_readonly_regs, setup),
		cmocka_unit_test_setup(test_line_buffer, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
