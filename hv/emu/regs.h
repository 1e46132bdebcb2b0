/*
 * regs.h - the guest register file the instruction emulator works on.
 *
 * The sixteen general-purpose registers are kept in the order the SDM
 * numbers them (Vol. 2A, 2.1.5, Table 2-2 and 2.2.1.2: RAX=0 ... RDI=7,
 * R8..R15 with REX.R/X/B), so the reg, r/m, base and index fields of an
 * instruction index gpr[] directly.  RIP and RFLAGS live in the VMCS
 * (GUEST_RIP, GUEST_RFLAGS); the glue copies them in before emulating and
 * back afterwards.  RSP too lives in the VMCS (GUEST_RSP): the glue stores it
 * in gpr[GPR_RSP] before calling the decoder.  gpr[] has the layout of
 * struct vcpu_regs (hv/guest/guest.h), so the glue copies it whole.  (The
 * names are the emulator's own so that both headers fit in one file.)
 */
#ifndef FORMICA_EMU_REGS_H
#define FORMICA_EMU_REGS_H

#include "types.h"

enum emu_gpr {
	GPR_RAX = 0,
	GPR_RCX = 1,
	GPR_RDX = 2,
	GPR_RBX = 3,
	GPR_RSP = 4,
	GPR_RBP = 5,
	GPR_RSI = 6,
	GPR_RDI = 7,
	GPR_R8 = 8,
	GPR_R9 = 9,
	GPR_R10 = 10,
	GPR_R11 = 11,
	GPR_R12 = 12,
	GPR_R13 = 13,
	GPR_R14 = 14,
	GPR_R15 = 15,
	GPR_COUNT = 16,
};

struct emu_regs {
	u64 gpr[GPR_COUNT]; /* enum emu_gpr */
	u64 rip;
	u64 rflags;
};

/* RFLAGS bits (SDM Vol. 1, 3.4.3). */
#define RFLAGS_CF BIT(0)
#define RFLAGS_PF BIT(2)
#define RFLAGS_AF BIT(4)
#define RFLAGS_ZF BIT(6)
#define RFLAGS_SF BIT(7)
#define RFLAGS_DF BIT(10)
#define RFLAGS_OF BIT(11)
/* The status flags an arithmetic instruction may define. */
#define RFLAGS_STATUS (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF)

#endif
