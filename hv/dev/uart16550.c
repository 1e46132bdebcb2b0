/*
 * uart16550.c - a 16550A UART: registers, FIFOs, interrupt identification.
 *
 * The interrupt logic is one function, iir_id(), that computes the highest-
 * priority pending source from the state (datasheet, "Interrupt
 * Identification Register" priority table); every register access ends by
 * recomputing the output line from it.  Only the THR-empty source has
 * memory of its own (thri): it is raised when THR empties or when ETBEI
 * is switched on with THR already empty, and cleared by reading IIR while
 * it is the reported source, or by writing THR.  Linux's serial8250
 * startup checks exactly that re-assertion ("UART_BUG_THRE").
 *
 * Receive character timeout (IIR 0x0c) is reported as soon as the FIFO
 * holds fewer bytes than the trigger level, rather than after four
 * character times: input arrives in bursts from the glue, and the driver
 * handles both identifications the same way (it reads while LSR.DR).
 */
#include "dev/uart16550.h"
#include "string.h"

static unsigned rx_capacity(const struct uart16550 *u)
{
	return u->fifo_on ? UART_FIFO_SIZE : 1;
}

static unsigned rx_trigger(const struct uart16550 *u)
{
	static const u8 level[4] = { 1, 4, 8, 14 }; /* FCR bits 7:6 */
	return level[u->fcr >> 6];
}

static u8 iir_id(const struct uart16550 *u)
{
	if ((u->ier & UART_IER_ELSI) && u->lsr_errors)
		return UART_IIR_RLSI;
	if ((u->ier & UART_IER_ERBFI) && u->rx_count) {
		if (!u->fifo_on || u->rx_count >= rx_trigger(u))
			return UART_IIR_RDI;
		return UART_IIR_CTI;
	}
	if ((u->ier & UART_IER_ETBEI) && u->thri)
		return UART_IIR_THRI;
	if ((u->ier & UART_IER_EDSSI) && (u->msr & 0x0f))
		return UART_IIR_MSI;
	return UART_IIR_NO_INT;
}

static void update_irq(struct uart16550 *u)
{
	int level = iir_id(u) != UART_IIR_NO_INT && (u->mcr & UART_MCR_OUT2) &&
		    !(u->mcr & UART_MCR_LOOP);
	if (level != u->irq_level) {
		u->irq_level = level;
		irq_line_set(&u->irq, level);
	}
}

/* Modem status inputs: a terminal that is always there (CTS, DSR, DCD), or
 * in loopback MCR's outputs wired back: RTS->CTS, DTR->DSR, OUT1->RI,
 * OUT2->DCD (datasheet, MCR bit 4). */
static u8 modem_inputs(const struct uart16550 *u)
{
	if (!(u->mcr & UART_MCR_LOOP))
		return UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD;
	u8 v = 0;
	if (u->mcr & UART_MCR_RTS)
		v |= UART_MSR_CTS;
	if (u->mcr & UART_MCR_DTR)
		v |= UART_MSR_DSR;
	if (u->mcr & UART_MCR_OUT1)
		v |= UART_MSR_RI;
	if (u->mcr & UART_MCR_OUT2)
		v |= UART_MSR_DCD;
	return v;
}

static void update_msr(struct uart16550 *u)
{
	u8 old = u->msr & 0xf0, now = modem_inputs(u), changed = old ^ now, delta = 0;
	if (changed & UART_MSR_CTS)
		delta |= UART_MSR_DCTS;
	if (changed & UART_MSR_DSR)
		delta |= UART_MSR_DDSR;
	if ((old & UART_MSR_RI) && !(now & UART_MSR_RI))
		delta |= UART_MSR_TERI; /* trailing edge only */
	if (changed & UART_MSR_DCD)
		delta |= UART_MSR_DDCD;
	u->msr = now | (u->msr & 0x0f) | delta;
}

static void rx_clear(struct uart16550 *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
}

static int rx_push(struct uart16550 *u, u8 byte)
{
	if (u->rx_count >= rx_capacity(u)) {
		u->lsr_errors |= UART_LSR_OE;
		u->rx_overruns++;
		/* 16450 mode: the new character overwrites RBR.  FIFO mode:
		 * it stays in the shift register and is lost. */
		if (!u->fifo_on)
			u->rx[u->rx_head] = byte;
		return -1;
	}
	u->rx[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = byte;
	u->rx_count++;
	return 0;
}

void uart_init(struct uart16550 *u, u16 base, const struct irq_line *irq,
	       void (*emit)(void *ctx, u8 byte), void *emit_ctx)
{
	memset(u, 0, sizeof(*u));
	u->base = base;
	if (irq)
		u->irq = *irq;
	u->emit = emit;
	u->emit_ctx = emit_ctx;
	u->dll = 1; /* divisor is undefined after reset; 1 = 115200 baud */
	u->msr = modem_inputs(u);
	/* THR starts empty, but the THRE interrupt needs ETBEI to go 0 -> 1. */
}

int uart_receive(struct uart16550 *u, u8 byte)
{
	/* In loopback the serial input is disconnected from the receiver. */
	if (u->mcr & UART_MCR_LOOP)
		return -1;
	int rc = rx_push(u, byte);
	update_irq(u);
	return rc;
}

unsigned uart_rx_room(const struct uart16550 *u)
{
	return rx_capacity(u) - u->rx_count;
}

static void write_thr(struct uart16550 *u, u8 byte)
{
	/* Writing THR clears the THRE interrupt; the byte leaves at once and
	 * THR is empty again, which raises it anew.  Driving the line low and
	 * then high gives the edge-triggered PIC one request per byte
	 * accepted, as the real chip does once per character time. */
	u->thri = false;
	update_irq(u);
	if (u->mcr & UART_MCR_LOOP) {
		rx_push(u, byte);
	} else {
		u->tx_bytes++;
		if (u->emit)
			u->emit(u->emit_ctx, byte);
	}
	u->thri = true;
}

static void write_fcr(struct uart16550 *u, u8 val)
{
	bool on = val & UART_FCR_ENABLE;
	if (on != u->fifo_on)
		rx_clear(u); /* changing FIFO mode resets the FIFOs */
	u->fifo_on = on;
	if (!on) {
		/* FCR bit 0 must be set for the other bits to take effect. */
		u->fcr = 0;
		return;
	}
	if (val & UART_FCR_CLEAR_RX)
		rx_clear(u);
	u->fcr = val & 0xc9; /* trigger level, DMA mode, enable */
}

static int uart_in(void *dev, u16 port, unsigned size, u32 *val, u64 now_ns)
{
	struct uart16550 *u = dev;
	bool dlab = u->lcr & UART_LCR_DLAB;
	u8 v = 0xff, id;

	switch ((port - u->base) & 7) {
	case UART_RBR:
		if (dlab) {
			v = u->dll;
		} else if (u->rx_count) {
			v = u->rx[u->rx_head];
			u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
			u->rx_count--;
		} else {
			v = 0;
		}
		break;
	case UART_IER:
		v = dlab ? u->dlm : u->ier;
		break;
	case UART_IIR:
		id = iir_id(u);
		if (id == UART_IIR_THRI)
			u->thri = false; /* reading IIR acknowledges THRE */
		v = id | (u->fifo_on ? UART_IIR_FIFOS : 0);
		break;
	case UART_LCR:
		v = u->lcr;
		break;
	case UART_MCR:
		v = u->mcr;
		break;
	case UART_LSR:
		v = (u->rx_count ? UART_LSR_DR : 0) | u->lsr_errors | UART_LSR_THRE | UART_LSR_TEMT;
		u->lsr_errors = 0;
		break;
	case UART_MSR:
		v = u->msr;
		u->msr &= 0xf0; /* reading MSR clears the delta bits */
		break;
	case UART_SCR:
		v = u->scr;
		break;
	}
	update_irq(u);
	*val = v;
	return 0;
}

static int uart_wr(void *dev, u16 port, unsigned size, u32 val, u64 now_ns)
{
	struct uart16550 *u = dev;
	bool dlab = u->lcr & UART_LCR_DLAB;
	u8 v = val, old;

	switch ((port - u->base) & 7) {
	case UART_THR:
		if (dlab)
			u->dll = v;
		else
			write_thr(u, v);
		break;
	case UART_IER:
		if (dlab) {
			u->dlm = v;
			break;
		}
		old = u->ier;
		u->ier = v & 0x0f; /* bits 7:4 are always zero on a 16550A */
		if ((u->ier & UART_IER_ETBEI) && !(old & UART_IER_ETBEI))
			u->thri = true; /* THR is empty: THRE interrupt now */
		else if (!(u->ier & UART_IER_ETBEI))
			u->thri = false;
		break;
	case UART_FCR:
		write_fcr(u, v);
		break;
	case UART_LCR:
		u->lcr = v;
		break;
	case UART_MCR:
		u->mcr = v & 0x1f;
		update_msr(u);
		break;
	case UART_SCR:
		u->scr = v;
		break;
	default: /* LSR, MSR: factory test writes, ignored */
		break;
	}
	update_irq(u);
	return 0;
}

const struct vdev_ops uart_ops = { .in = uart_in, .out = uart_wr };

bool uart_line_put(struct uart_line *l, u8 byte, const char **line, u32 *len)
{
	if (l->done) {
		l->len = 0;
		l->done = false;
	}
	if (byte == '\r' || byte == 0)
		return false;
	if (byte != '\n') {
		/* One log line per guest line whatever the guest sends: control
		 * and non-ASCII bytes (escape sequences...) become '?'. */
		bool printable = (byte >= 0x20 && byte < 0x7f) || byte == '\t';
		l->buf[l->len++] = printable ? (char)byte : '?';
		if (l->len < UART_LINE_MAX)
			return false;
	}
	*line = l->buf;
	*len = l->len;
	l->done = true;
	return true;
}

bool uart_line_flush(struct uart_line *l, const char **line, u32 *len)
{
	if (l->done || l->len == 0)
		return false;
	*line = l->buf;
	*len = l->len;
	l->done = true;
	return true;
}
