/*
 * vpc.c - wiring the legacy devices into one PC.
 *
 * The port map is the IBM PC/AT one (plus PIIX's ELCR and 0xcf9 and PCI
 * mechanism #1); interrupt lines are the ISA ones: PIT -> IRQ0, i8042 ->
 * IRQ1 and IRQ12, COM1 -> IRQ4, RTC -> IRQ8, all into the 8259 pair.
 */
#include "dev/vpc.h"
#include "string.h"

int vpc_init(struct vpc *pc, u64 rtc_unix_at_zero, void (*emit)(void *ctx, u8 byte),
	     void *emit_ctx)
{
	memset(pc, 0, sizeof(*pc));
	struct irq_line irq0 = { pic_irq_line_set, &pc->pic, 0 };
	struct irq_line irq1 = { pic_irq_line_set, &pc->pic, 1 };
	struct irq_line irq4 = { pic_irq_line_set, &pc->pic, COM1_IRQ };
	struct irq_line irq8 = { pic_irq_line_set, &pc->pic, RTC_IRQ };
	struct irq_line irq12 = { pic_irq_line_set, &pc->pic, 12 };

	vio_init(&pc->bus);
	pic_init(&pc->pic);
	pit_init(&pc->pit, &irq0);
	uart_init(&pc->com1, COM1_BASE, &irq4, emit, emit_ctx);
	rtc_init(&pc->rtc, rtc_unix_at_zero, &irq8);
	pci_cfg_init(&pc->pci);
	i8042_init(&pc->kbc, &irq1, &irq12, &pc->stop);
	post_init(&pc->post);
	reset_ctl_init(&pc->rcr, &pc->stop);
	power_port_init(&pc->power, &pc->stop);
	pc->pci.legacy = &reset_ctl_ops;
	pc->pci.legacy_dev = &pc->rcr;

	const struct {
		u16 first, last;
		const struct vdev_ops *ops;
		void *dev;
		const char *name;
		u32 flags;
	} map[] = {
		{ 0x20, 0x21, &pic_ops, &pc->pic, "pic-master", VIO_F_8BIT },
		{ 0xa0, 0xa1, &pic_ops, &pc->pic, "pic-slave", VIO_F_8BIT },
		{ PIC_ELCR1, PIC_ELCR2, &pic_elcr_ops, &pc->pic, "elcr", VIO_F_8BIT },
		{ 0x40, 0x43, &pit_ops, &pc->pit, "pit", VIO_F_8BIT },
		{ PIT_PORT_61, PIT_PORT_61, &pit_port61_ops, &pc->pit, "port61", VIO_F_8BIT },
		{ I8042_DATA, I8042_DATA, &i8042_ops, &pc->kbc, "i8042", VIO_F_8BIT },
		{ I8042_STATUS, I8042_STATUS, &i8042_ops, &pc->kbc, "i8042", VIO_F_8BIT },
		{ RTC_PORT_INDEX, RTC_PORT_DATA, &rtc_ops, &pc->rtc, "rtc", VIO_F_8BIT },
		{ POST_PORT, POST_PORT, &post_ops, &pc->post, "post", VIO_F_8BIT },
		{ COM1_BASE, COM1_BASE + 7, &uart_ops, &pc->com1, "com1", VIO_F_8BIT },
		/* 0xcf9 (reset control) is reached through pci-cfg's legacy hook. */
		{ PCI_CONFIG_ADDRESS, PCI_CONFIG_DATA + 3, &pci_cfg_ops, &pc->pci, "pci-cfg", 0 },
		{ VPC_POWER_PORT, VPC_POWER_PORT, &power_port_ops, &pc->power, "power", 0 },
	};
	for (unsigned i = 0; i < ARRAY_SIZE(map); i++) {
		int rc = vio_register(&pc->bus, map[i].first, map[i].last, map[i].ops, map[i].dev,
				      map[i].name, map[i].flags);
		if (rc)
			return rc;
	}
	return 0;
}

static u64 next_event(const struct vpc *pc, u64 now_ns)
{
	u64 a = pit_next_event_ns(&pc->pit, now_ns);
	u64 b = rtc_next_event_ns(&pc->rtc, now_ns);
	return a < b ? a : b;
}

/* Before quiet_until_ns no PIT edge and no RTC event is due, so updating
 * them would change nothing: the PIT counts the edges between two updates,
 * however far apart, and a guest reading a device goes through vpc_io(),
 * where each device works its state out from the time itself. */
void vpc_tick(struct vpc *pc, u64 now_ns)
{
	if (now_ns < pc->quiet_until_ns)
		return;
	pit_update(&pc->pit, now_ns);
	rtc_update(&pc->rtc, now_ns);
	pc->quiet_until_ns = next_event(pc, now_ns);
}

u64 vpc_next_event_ns(const struct vpc *pc, u64 now_ns)
{
	if (now_ns < pc->quiet_until_ns)
		return pc->quiet_until_ns;
	return next_event(pc, now_ns);
}

struct vpc_intr vpc_intr_decide(struct vpc *pc, bool guest_if, bool blocked, bool event_pending)
{
	struct vpc_intr r = { VPC_INTR_NONE, 0 };
	if (pic_pending_vector(&pc->pic) < 0)
		return r;
	if (!guest_if || blocked || event_pending) {
		r.action = VPC_INTR_WINDOW;
		return r;
	}
	r.action = VPC_INTR_INJECT;
	r.vector = (u8)pic_ack(&pc->pic);
	return r;
}

enum vpc_hlt_action vpc_hlt_decide(struct vpc *pc, bool guest_if)
{
	if (!guest_if) {
		/* Only an NMI or INIT could wake this CPU, and nothing here
		 * sends either: this is how Linux without ACPI "powers off". */
		vpc_request_stop(&pc->stop, VPC_STOP_HALTED, 0, "hlt with interrupts disabled");
		return VPC_HLT_STOP;
	}
	return pic_pending_vector(&pc->pic) >= 0 ? VPC_HLT_WAKE : VPC_HLT_SLEEP;
}
