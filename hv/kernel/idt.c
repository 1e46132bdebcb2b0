/*
 * idt.c - the hv's IDT and what it does with an exception: print
 * everything a reader needs to find the bug (vector, error code, RIP,
 * registers, CR2 for a page fault), then stop.  The hv itself never
 * expects an exception; a guest's exceptions never come here (they cause
 * VM exits or go through the guest's own IDT).
 *
 * NMIs are the exception: one can arrive while the hv runs in VMX root
 * mode; we log it and go on.
 */
#include "cpu.h"
#include "lapic.h"
#include "kprintf.h"
#include "x86.h"

struct __attribute__((packed)) idt_gate {
	u16 off0;
	u16 sel;
	u8 ist;
	u8 type; /* 0x8e: present, DPL 0, 64-bit interrupt gate */
	u16 off1;
	u32 off2;
	u32 reserved;
};

static struct idt_gate idt[256];
extern const u64 trap_stubs[33]; /* traps.S: vectors 0-31, then the catch-all */

static const char *const exception_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor segment overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault", "#GP general protection",
	"#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check",
	"#MC machine check", "#XM SIMD exception", "#VE virtualization exception",
	"#CP control protection",
};

static void set_gate(int v, u64 handler, u8 ist)
{
	idt[v] = (struct idt_gate){
		.off0 = handler & 0xffff, .sel = SEL_CODE, .ist = ist, .type = 0x8e,
		.off1 = (handler >> 16) & 0xffff, .off2 = handler >> 32,
	};
}

void idt_init(void)
{
	for (int v = 0; v < 256; v++)
		set_gate(v, trap_stubs[v < 32 ? v : 32], 0);
	set_gate(8, trap_stubs[8], 1); /* #DF on its own stack: the old one may be bad */
	set_gate(2, trap_stubs[2], 2); /* NMI likewise */
	struct dtr d = { sizeof(idt) - 1, (u64)idt };
	__asm__ volatile("lidt %0" ::"m"(d));
}

/*
 * The hv polls and never takes an interrupt, with one exception: on AMD, an
 * interrupt that made a VM exit (SVM's INTR intercept) is still pending in
 * the local APIC, because SVM has no "acknowledge interrupt on exit" as VMX
 * does; left there it would end the next VMRUN at once.  The SVM backend
 * takes it here: one instruction with interrupts on, and the handler below
 * signals end-of-interrupt.
 */
static volatile bool taking_interrupts;

void cpu_take_pending_interrupts(void)
{
	taking_interrupts = true;
	__asm__ volatile("sti; nop; cli" ::: "memory");
	taking_interrupts = false;
}

void trap_handler(struct trap_frame *f)
{
	if (f->vector == 255 && taking_interrupts) {
		lapic_eoi();
		return;
	}
	if (f->vector == 2) {
		kprintf("hv: NMI in VMX root mode at rip=0x%lx, ignored\n", f->rip);
		return;
	}
	const char *name = f->vector < 32 && exception_names[f->vector]
				   ? exception_names[f->vector]
				   : "stray interrupt (vector > 31)";
	kprintf("hv: EXCEPTION %lu (%s) error=0x%lx\n", f->vector, name, f->error_code);
	kprintf("  rip=%016lx rsp=%016lx rflags=%016lx cs=%lx\n", f->rip, f->rsp, f->rflags,
		f->cs);
	kprintf("  rax=%016lx rbx=%016lx rcx=%016lx rdx=%016lx\n", f->rax, f->rbx, f->rcx,
		f->rdx);
	kprintf("  rsi=%016lx rdi=%016lx rbp=%016lx r8 =%016lx\n", f->rsi, f->rdi, f->rbp,
		f->r8);
	kprintf("  r9 =%016lx r10=%016lx r11=%016lx r12=%016lx\n", f->r9, f->r10, f->r11,
		f->r12);
	kprintf("  r13=%016lx r14=%016lx r15=%016lx\n", f->r13, f->r14, f->r15);
	kprintf("  cr0=%016lx cr2=%016lx cr3=%016lx cr4=%016lx\n", read_cr0(), read_cr2(),
		read_cr3(), read_cr4());
	panic("unexpected exception in the hypervisor\n");
}
