/*
 * pci_cfg.c - configuration mechanism #1 over a handful of functions.
 *
 * A write goes through two masks per byte: wmask (writable bits) and
 * w1cmask (write-one-to-clear bits, the status register's error flags).
 * Everything else about PCI configuration - read-only ids, BAR sizing,
 * the host bridge's fixed registers - is expressed by choosing those masks
 * when a function is set up, so the access path stays one loop.
 */
#include "dev/pci_cfg.h"
#include "le.h"
#include "string.h"

#define CONFIG_ENABLE 0x80000000u

static u8 devfn_of(u8 dev, u8 fn)
{
	return (u8)((dev << 3) | (fn & 7));
}

struct pci_fn *pci_cfg_find(struct pci_cfg *p, u8 bus, u8 devfn)
{
	for (unsigned i = 0; i < PCI_MAX_FUNCS; i++) {
		struct pci_fn *f = &p->fn[i];
		if (f->present && f->bus == bus && devfn_of(f->dev, f->fn) == devfn)
			return f;
	}
	return NULL;
}

struct pci_fn *pci_cfg_add(struct pci_cfg *p, u8 bus, u8 dev, u8 fn, u16 vendor, u16 device,
			   u32 class_code, u8 revision)
{
	if (dev > 31 || fn > 7 || pci_cfg_find(p, bus, devfn_of(dev, fn)))
		return NULL;
	struct pci_fn *f = NULL;
	for (unsigned i = 0; i < PCI_MAX_FUNCS && !f; i++)
		if (!p->fn[i].present)
			f = &p->fn[i];
	if (!f)
		return NULL;

	memset(f, 0, sizeof(*f));
	f->present = true;
	f->bus = bus;
	f->dev = dev;
	f->fn = fn;
	le16_put(f->cfg + PCI_VENDOR_ID, vendor);
	le16_put(f->cfg + PCI_DEVICE_ID, device);
	f->cfg[PCI_REVISION_ID] = revision;
	f->cfg[PCI_CLASS_PROG] = class_code & 0xff;
	le16_put(f->cfg + PCI_CLASS_DEVICE, (u16)(class_code >> 8));
	le16_put(f->wmask + PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
						 PCI_COMMAND_PARITY | PCI_COMMAND_SERR |
						 PCI_COMMAND_INTX_DISABLE);
	le16_put(f->w1cmask + PCI_STATUS, 0xf900); /* parity, target/master aborts, SERR, PERR */
	f->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	f->wmask[PCI_LATENCY_TIMER] = 0xff;
	f->wmask[PCI_INTERRUPT_LINE] = 0xff;

	/* Multi-function: Linux only probes functions 1-7 of a device whose
	 * function 0 says so in its header type. */
	if (fn) {
		struct pci_fn *f0 = pci_cfg_find(p, bus, devfn_of(dev, 0));
		if (f0)
			f0->cfg[PCI_HEADER_TYPE] |= PCI_HEADER_MULTIFUNCTION;
	} else {
		for (unsigned i = 0; i < PCI_MAX_FUNCS; i++) {
			struct pci_fn *o = &p->fn[i];
			if (o != f && o->present && o->bus == bus && o->dev == dev)
				f->cfg[PCI_HEADER_TYPE] |= PCI_HEADER_MULTIFUNCTION;
		}
	}
	return f;
}

int pci_fn_set_bar(struct pci_fn *f, unsigned bar, u64 size, u32 kind)
{
	bool io = kind & PCI_BAR_IO, is64 = !io && (kind & PCI_BAR_MEM64);
	if (bar > 5 || (is64 && bar > 4) || size == 0 || (size & (size - 1)))
		return -1;
	if (io ? (size < 4 || size > 0x10000) : (size < 16 || (!is64 && size > (1ull << 31))))
		return -1;
	unsigned off = PCI_BAR0 + 4 * bar;
	u32 low_flags = io ? PCI_BAR_IO : (kind & (PCI_BAR_MEM64 | PCI_BAR_PREFETCH));
	u64 mask = ~(size - 1);
	/* The address bits below the size are hard-wired to zero, so writing
	 * all-ones reads back ~(size - 1) | flags: the size mask. */
	le32_put(f->cfg + off, low_flags);
	le32_put(f->wmask + off, (u32)mask & (io ? ~0x3u : ~0xfu));
	if (is64) {
		le32_put(f->cfg + off + 4, 0);
		le32_put(f->wmask + off + 4, (u32)(mask >> 32));
	}
	return 0;
}

u64 pci_fn_bar_addr(const struct pci_fn *f, unsigned bar)
{
	unsigned off = PCI_BAR0 + 4 * bar;
	u32 low = le32_get(f->cfg + off);
	if (low & PCI_BAR_IO)
		return low & ~0x3u;
	u64 a = low & ~0xfu;
	if ((low & 0x6) == PCI_BAR_MEM64 && bar < 5)
		a |= (u64)le32_get(f->cfg + off + 4) << 32;
	return a;
}

u32 pci_cfg_read(const struct pci_cfg *p, u8 bus, u8 devfn, unsigned off, unsigned size)
{
	const struct pci_fn *f = pci_cfg_find((struct pci_cfg *)p, bus, devfn);
	u32 v = 0;
	for (unsigned i = 0; i < size; i++) {
		unsigned o = off + i;
		u8 b = (f && o < 256) ? f->cfg[o] : 0xff;
		v |= (u32)b << (8 * i);
	}
	return v;
}

void pci_cfg_write(struct pci_cfg *p, u8 bus, u8 devfn, unsigned off, unsigned size, u32 val)
{
	struct pci_fn *f = pci_cfg_find(p, bus, devfn);
	if (!f)
		return; /* master abort: the write goes nowhere */
	for (unsigned i = 0; i < size && off + i < 256; i++) {
		unsigned o = off + i;
		u8 b = (val >> (8 * i)) & 0xff;
		u8 c = f->cfg[o];
		c = (c & ~f->wmask[o]) | (b & f->wmask[o]);
		c &= ~(b & f->w1cmask[o]);
		f->cfg[o] = c;
	}
	if (f->on_write)
		f->on_write(f->ctx, f, off, size);
}

void pci_cfg_init(struct pci_cfg *p)
{
	memset(p, 0, sizeof(*p));
	/* Intel 82441FX (440FX) PMC, rev 02, host bridge.  Its command and
	 * status are fixed: memory and bus master on, medium DEVSEL,
	 * fast back-to-back capable.  Nothing else of the chipset is
	 * modelled (PAM, SMRAM): a guest has no BIOS shadowing to do. */
	struct pci_fn *hb = pci_cfg_add(p, 0, 0, 0, 0x8086, 0x1237, 0x060000, 0x02);
	le16_put(hb->cfg + PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	le16_put(hb->cfg + PCI_STATUS, 0x0280);
	le16_put(hb->wmask + PCI_COMMAND, 0);
	le16_put(hb->w1cmask + PCI_STATUS, 0);
	hb->wmask[PCI_INTERRUPT_LINE] = 0;
}

/* CONFIG_DATA at byte k of the dword selected by CONFIG_ADDRESS.  An access
 * that starts inside CONFIG_DATA but runs past 0xcff (a dword at 0xcfd) is
 * cut at the dword's end: the bytes beyond belong to ports nobody decodes,
 * not to the next register of the function. */
static bool data_target(const struct pci_cfg *p, u16 port, u8 *bus, u8 *devfn, unsigned *off,
			unsigned *size)
{
	if (!(p->address & CONFIG_ENABLE))
		return false;
	*bus = (p->address >> 16) & 0xff;
	*devfn = (p->address >> 8) & 0xff;
	*off = (p->address & 0xfc) + (port & 3);
	if (*size > 4u - (port & 3u))
		*size = 4u - (port & 3u);
	return true;
}

static int cfg_in(void *dev, u16 port, unsigned size, u32 *val, u64 now_ns)
{
	struct pci_cfg *p = dev;
	u8 bus, devfn;
	unsigned off;
	if (port < PCI_CONFIG_DATA) {
		if (port == PCI_CONFIG_ADDRESS && size == 4)
			*val = p->address;
		else if (p->legacy && p->legacy->in)
			return p->legacy->in(p->legacy_dev, port, size, val, now_ns);
		else
			*val = 0xffffffffu;
		return 0;
	}
	unsigned n = size;
	if (!data_target(p, port, &bus, &devfn, &off, &n)) {
		*val = 0xffffffffu;
		return 0;
	}
	/* bytes n..size-1 are past 0xcff: floating */
	u32 all = size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
	u32 ours = n == 4 ? 0xffffffffu : (1u << (8 * n)) - 1;
	*val = pci_cfg_read(p, bus, devfn, off, n) | (all & ~ours);
	return 0;
}

static int cfg_out(void *dev, u16 port, unsigned size, u32 val, u64 now_ns)
{
	struct pci_cfg *p = dev;
	u8 bus, devfn;
	unsigned off;
	if (port < PCI_CONFIG_DATA) {
		if (port == PCI_CONFIG_ADDRESS && size == 4)
			p->address = val & 0x80fffffcu; /* bits 30:24 reserved, 1:0 zero */
		else if (p->legacy && p->legacy->out)
			return p->legacy->out(p->legacy_dev, port, size, val, now_ns);
		return 0;
	}
	if (data_target(p, port, &bus, &devfn, &off, &size))
		pci_cfg_write(p, bus, devfn, off, size, val);
	return 0;
}

const struct vdev_ops pci_cfg_ops = { .in = cfg_in, .out = cfg_out };
