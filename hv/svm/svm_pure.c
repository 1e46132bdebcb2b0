/*
 * svm_pure.c - SVM's exit codes and EXITINFO fields as vendor-neutral
 * events, its optional features, its permission maps (APM Vol. 2, ch. 15).
 *
 * What SVM reports differs from VT-x: the exit code names the intercept
 * (each CR read and write, each exception vector has its own code), IOIO
 * gives the port, size and direction in EXITINFO1 and the next RIP in
 * EXITINFO2, a #PF gives the error code and address.  Instruction lengths
 * come only with NRIP save, MOV CR and INVLPG operands only with decode
 * assists; without them svm_translate_exit() leaves the fields zero and the
 * guest core decodes the instruction (hv/guest/exit.c).
 */
#include "svm/svm_pure.h"
#include "x86.h"

void svm_parse_caps(u32 eax, u32 ebx, u32 edx, struct svm_caps *c)
{
	c->revision = eax & 0xff;
	c->nasid = ebx;
	c->np = edx & BIT(0);
	c->nrips = edx & BIT(3);
	c->vmcb_clean = edx & BIT(5);
	c->flush_by_asid = edx & BIT(6);
	c->decode_assists = edx & BIT(7);
}

/* IOIO: EXITINFO1 (Figure 15-2), EXITINFO2 = the RIP after IN/OUT. */
static void exit_ioio(const struct vmcb *v, struct vcpu_exit *x)
{
	u64 i = v->exitinfo1;
	x->event = VE_IO;
	x->io.port = (u16)(i >> 16);
	x->io.in = i & IOIO_TYPE_IN;
	x->io.string = i & (IOIO_STR | IOIO_REP);
	x->io.size = i & IOIO_SZ32 ? 4 : i & IOIO_SZ16 ? 2 : 1;
	x->insn_len = (u8)(v->exitinfo2 - v->rip);
}

/* CR0-CR15 reads (0x00-0x0f) and writes (0x10-0x1f).  With decode assists
 * EXITINFO1 bit 63 says a MOV made it, bits 3:0 name its GPR (15.33.1);
 * otherwise only the CR number is known. */
static void exit_cr(const struct vmcb *v, const struct svm_caps *caps, u32 code,
		    struct vcpu_exit *x)
{
	x->event = VE_CR;
	x->cr.cr = code & 15;
	x->cr.access = code < 0x10 ? CR_MOV_FROM : CR_MOV_TO;
	if (caps->decode_assists && (v->exitinfo1 & BIT(63))) {
		x->cr.gpr = v->exitinfo1 & 15;
		x->decoded = true;
	}
}

static const u8 simple_event[] = {
	[SVM_EXIT_CPUID] = VE_CPUID,
	[SVM_EXIT_HLT] = VE_HLT,
	[SVM_EXIT_INVD] = VE_NOP,
	[SVM_EXIT_PAUSE] = VE_NOP,
	[SVM_EXIT_WBINVD] = VE_NOP,
	[SVM_EXIT_MONITOR] = VE_NOP,
	[SVM_EXIT_MWAIT] = VE_NOP,
	[SVM_EXIT_SHUTDOWN] = VE_TRIPLE_FAULT,
	[SVM_EXIT_VMMCALL] = VE_VIRT_INSN, /* SVM is hidden; the hypercall is VMCALL */
	[SVM_EXIT_VMRUN] = VE_VIRT_INSN,
	[SVM_EXIT_VMLOAD] = VE_VIRT_INSN,
	[SVM_EXIT_VMSAVE] = VE_VIRT_INSN,
	[SVM_EXIT_STGI] = VE_VIRT_INSN,
	[SVM_EXIT_CLGI] = VE_VIRT_INSN,
	[SVM_EXIT_SKINIT] = VE_VIRT_INSN,
	[SVM_EXIT_INVLPGA] = VE_VIRT_INSN,
};

void svm_translate_exit(const struct vmcb *v, const struct svm_caps *caps, struct vcpu_exit *x)
{
	u64 code = v->exitcode;
	*x = (struct vcpu_exit){ .event = VE_UNKNOWN };
	if (code == SVM_EXIT_INVALID) {
		x->event = VE_ENTRY_FAILED;
		return;
	}
	/* Without NRIP save, nrip is zero: the length stays unknown. */
	if (caps->nrips && v->nrip > v->rip && v->nrip - v->rip <= 15)
		x->insn_len = (u8)(v->nrip - v->rip);
	if (code < 0x20) {
		exit_cr(v, caps, (u32)code, x);
	} else if (code == SVM_EXIT_EXCP_BASE + VEC_PF) {
		x->event = VE_PAGE_FAULT;
		x->pf.error_code = (u32)v->exitinfo1;
		x->pf.addr = v->exitinfo2;
	} else if (code >= SVM_EXIT_EXCP_BASE && code < SVM_EXIT_EXCP_BASE + 32) {
		x->event = VE_EXCEPTION;
		x->vector = (u32)(code - SVM_EXIT_EXCP_BASE);
	} else if (code == SVM_EXIT_IOIO) {
		exit_ioio(v, x);
	} else if (code == SVM_EXIT_MSR) {
		x->event = v->exitinfo1 ? VE_WRMSR : VE_RDMSR; /* EXITINFO1: 0 read, 1 write */
	} else if (code == SVM_EXIT_INVLPG) {
		x->event = VE_INVLPG;
		if (caps->decode_assists) {
			x->invlpg.gva = v->exitinfo1;
			x->decoded = true;
		}
	} else if (code == SVM_EXIT_INTR || code == SVM_EXIT_NMI || code == SVM_EXIT_VINTR) {
		x->event = VE_NONE; /* the backend took the interrupt; the run loop goes on */
	} else if (code < sizeof(simple_event) && simple_event[code]) {
		x->event = simple_event[code];
	}
}

const char *svm_exit_name(u32 code)
{
	static const char *const names[] = {
		[SVM_EXIT_INTR] = "INTR", [SVM_EXIT_NMI] = "NMI", [SVM_EXIT_SMI] = "SMI",
		[SVM_EXIT_INIT] = "INIT", [SVM_EXIT_VINTR] = "VINTR", [SVM_EXIT_CPUID] = "CPUID",
		[SVM_EXIT_INVD] = "INVD", [SVM_EXIT_PAUSE] = "PAUSE", [SVM_EXIT_HLT] = "HLT",
		[SVM_EXIT_INVLPG] = "INVLPG", [SVM_EXIT_INVLPGA] = "INVLPGA",
		[SVM_EXIT_IOIO] = "IOIO", [SVM_EXIT_MSR] = "MSR", [SVM_EXIT_SHUTDOWN] = "SHUTDOWN",
		[SVM_EXIT_VMRUN] = "VMRUN", [SVM_EXIT_VMMCALL] = "VMMCALL",
		[SVM_EXIT_VMLOAD] = "VMLOAD", [SVM_EXIT_VMSAVE] = "VMSAVE", [SVM_EXIT_STGI] = "STGI",
		[SVM_EXIT_CLGI] = "CLGI", [SVM_EXIT_SKINIT] = "SKINIT", [SVM_EXIT_RDTSCP] = "RDTSCP",
		[SVM_EXIT_WBINVD] = "WBINVD", [SVM_EXIT_MONITOR] = "MONITOR",
		[SVM_EXIT_MWAIT] = "MWAIT",
	};
	static const char *const cr[] = { "CR0 read", "CR1 read", "CR2 read", "CR3 read",
					  "CR4 read", "CR5 read", "CR6 read", "CR7 read",
					  "CR8 read", "CR9 read", "CR10 read", "CR11 read",
					  "CR12 read", "CR13 read", "CR14 read", "CR15 read",
					  "CR0 write", "CR1 write", "CR2 write", "CR3 write",
					  "CR4 write", "CR5 write", "CR6 write", "CR7 write",
					  "CR8 write", "CR9 write", "CR10 write", "CR11 write",
					  "CR12 write", "CR13 write", "CR14 write", "CR15 write" };
	static const char *const excp[32] = {
		"#DE", "#DB", "NMI exception", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "exception 9",
		"#TS", "#NP", "#SS", "#GP", "#PF", "exception 15", "#MF", "#AC", "#MC", "#XF",
		"exception 20", "#CP", "exception 22", "exception 23", "exception 24",
		"exception 25", "exception 26", "exception 27", "#HV", "#VC", "#SX", "exception 31",
	};
	if (code < 0x20)
		return cr[code];
	if (code >= SVM_EXIT_EXCP_BASE && code < SVM_EXIT_EXCP_BASE + 32)
		return excp[code - SVM_EXIT_EXCP_BASE];
	if (code < sizeof(names) / sizeof(names[0]) && names[code])
		return names[code];
	if (code == (u32)SVM_EXIT_INVALID)
		return "VMEXIT_INVALID";
	return "?";
}

bool svm_msrpm_set(u8 *msrpm, u32 msr, bool intercept_read, bool intercept_write)
{
	/* The three ranges, 2 KiB of map each (Table 15-12). */
	static const u32 range_base[3] = { 0x00000000, 0xc0000000, 0xc0010000 };
	for (u32 r = 0; r < 3; r++) {
		u32 off = msr - range_base[r];
		if (msr < range_base[r] || off >= 0x2000)
			continue;
		u32 bit = r * 0x2000 * 2 + off * 2; /* bit index in the map */
		u8 *b = &msrpm[bit / 8];
		u8 rd = (u8)BIT(bit % 8), wr = (u8)BIT(bit % 8 + 1);
		*b = (u8)((*b & ~(rd | wr)) | (intercept_read ? rd : 0) | (intercept_write ? wr : 0));
		return true;
	}
	return false;
}

u64 svm_cr4_allowed(u32 cpuid1_ecx, u32 cpuid7_ebx, u32 cpuid7_ecx)
{
	/* Every x86-64 CPU has these (AMD64 APM Vol. 2, 3.1.3). */
	u64 cr4 = CR4_VME | CR4_PVI | CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_MCE | CR4_PGE |
		  CR4_PCE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	if (cpuid7_ecx & BIT(2))
		cr4 |= CR4_UMIP;
	if (cpuid7_ebx & BIT(0))
		cr4 |= CR4_FSGSBASE;
	if (cpuid1_ecx & BIT(17))
		cr4 |= CR4_PCIDE;
	if (cpuid1_ecx & BIT(26))
		cr4 |= CR4_OSXSAVE;
	if (cpuid7_ebx & BIT(7))
		cr4 |= CR4_SMEP;
	if (cpuid7_ebx & BIT(20))
		cr4 |= CR4_SMAP;
	if (cpuid7_ecx & BIT(3))
		cr4 |= CR4_PKE;
	return cr4;
}
