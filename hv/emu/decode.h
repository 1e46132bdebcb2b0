/*
 * decode.h - decoding the few x86-64 instructions a guest kernel uses to
 * write its page tables.
 *
 * Antfarm needs the exact number of present entries in the user half of
 * every guest PML4 it knows.  The paging core write-protects those pages in
 * the shadow tables; each write the guest makes then faults, and the
 * hypervisor performs the write itself so that it sees the old and the new
 * value of every entry.  Only the instructions Linux uses for page-table
 * writes need emulating (set_pgd/p4d_clear are MOV, ptep_get_and_clear is
 * XCHG, the cmpxchg helpers are LOCK CMPXCHG, set_bit/clear_bit are LOCK
 * OR/AND/BTS/BTR, clear_page and memset are REP STOS), so the decoder knows
 * exactly those and refuses everything else with the instruction's bytes:
 * an unknown writer is a bug to look at, not something to guess about.
 *
 * Supported (SDM Vol. 2, 64-bit mode only, memory destinations only):
 *   MOV     88 /r, 89 /r, C6 /0 ib, C7 /0 iz
 *   MOVNTI  0F C3 /r
 *   XCHG    86 /r, 87 /r                   (locked whether or not F0 is there)
 *   CMPXCHG 0F B0 /r, 0F B1 /r             (with or without LOCK)
 *   AND     20 /r, 21 /r, 80 /4 ib, 81 /4 iz, 83 /4 ib   (with or without LOCK)
 *   OR      08 /r, 09 /r, 80 /1 ib, 81 /1 iz, 83 /1 ib   (with or without LOCK)
 *   BTS     0F AB /r, 0F BA /5 ib          (with or without LOCK)
 *   BTR     0F B3 /r, 0F BA /6 ib          (with or without LOCK)
 *   STOS    AA, AB, with or without REP (F3)
 * Prefixes: F0 LOCK, F3 REP (STOS only), 66 operand size, 67 address size
 * (not with STOS), 2E/36/3E/26 (ignored: base 0 in 64-bit mode), 64 FS and
 * 65 GS (their bases are inputs), REX.W/R/X/B.
 *
 * The caller must only decode in 64-bit mode (CS.L = 1); the decoder has no
 * notion of other modes.
 */
#ifndef FORMICA_EMU_DECODE_H
#define FORMICA_EMU_DECODE_H

#include "types.h"
#include "emu/regs.h"

#define EMU_MAX_INSN_LEN 15 /* SDM Vol. 2A, 2.3.11 */

/* Errors: each is distinct so the glue's log line says what went wrong. */
enum emu_err {
	EMU_OK = 0,
	EMU_ERR_UNSUPPORTED = -1, /* an instruction (or form) not in the list above */
	EMU_ERR_TRUNCATED = -2,   /* the bytes given end before the instruction does */
	EMU_ERR_INVALID = -3,     /* #UD/#GP on a real CPU (LOCK on MOV, > 15 bytes...):
				   * it cannot have caused a write fault */
	EMU_ERR_NO_MEMORY = -4,   /* register destination: the instruction writes no memory */
	EMU_ERR_MEM = -5,         /* emulate.c: a guest memory callback failed */
	EMU_ERR_ADDRESS = -6,     /* emu_step: the operand does not cover the faulting address */
};

enum emu_op {
	EMU_MOV,
	EMU_MOVNTI,
	EMU_XCHG,
	EMU_CMPXCHG,
	EMU_AND,
	EMU_OR,
	EMU_BTS,
	EMU_BTR,
	EMU_STOS,
	/* emu_decode_sys() only: */
	EMU_SYS,         /* CPUID, HLT, RDMSR, ...: only the length matters */
	EMU_MOV_TO_CR,   /* cr = CR number, src_reg = the GPR */
	EMU_MOV_FROM_CR,
	EMU_CLTS,
	EMU_LMSW,        /* register form: src = the new machine status word */
	EMU_INVLPG,      /* lin = the address operand */
	EMU_HYPERCALL,   /* VMCALL: Formica's hypercall on both vendors */
};

/* Segment of the memory operand: only FS and GS have a base in 64-bit mode. */
enum emu_seg {
	EMU_SEG_NONE = 0, /* DS/SS/ES/CS or no override: base 0 */
	EMU_SEG_FS,
	EMU_SEG_GS,
};

/* The guest's FS.base and GS.base (VMCS GUEST_FS_BASE, GUEST_GS_BASE). */
struct emu_segs {
	u64 fs_base;
	u64 gs_base;
};

/* Prefixes seen (emu_insn.prefixes). */
#define EMU_PFX_LOCK BIT(0)     /* F0 */
#define EMU_PFX_REP BIT(1)      /* F3 */
#define EMU_PFX_OPSIZE BIT(2)   /* 66 */
#define EMU_PFX_ADDRSIZE BIT(3) /* 67 */

#define EMU_NO_REG 0xff

struct emu_insn {
	enum emu_op op;
	u8 len;      /* instruction length in bytes; RIP advances by this */
	u8 size;     /* operand size in bytes: 1, 2, 4 or 8 */
	u8 prefixes; /* EMU_PFX_* */
	u8 rex;      /* the REX byte, 0 if none */
	u8 seg;      /* enum emu_seg */
	u8 src_reg;  /* GPR number of a register source, EMU_NO_REG if immediate/none */
	bool src_high8; /* the source is AH, CH, DH or BH (src_reg = 0..3) */
	u8 bit;      /* BTS/BTR: bit number within the operand at lin */
	u8 cr;       /* MOV to/from CR: the control register's number */
	u64 src;     /* source value at decode time (register or sign-extended
		      * immediate), truncated to size; STOS: AL/AX/EAX/RAX */
	u64 ea;      /* effective address (offset within the segment) */
	u64 lin;     /* linear address of the operand the instruction writes:
		      * seg base + ea; BTS/BTR by register: of the operand that
		      * holds the bit; STOS: RDI, the next element */
	/* The bytes handed to the decoder (up to 15), kept for error lines. */
	u8 raw[EMU_MAX_INSN_LEN];
	u8 nraw;
	u8 err_at;   /* on error: offset of the byte the decoder refused */
};

/*
 * Decode the instruction at the start of bytes[0..n) (n may exceed 15; only
 * 15 are looked at).  regs supplies the address registers and the source
 * register value; rip is the address of bytes[0] (RIP-relative operands).
 * On success returns EMU_OK and fills *in.  On failure returns an
 * enum emu_err and still fills in->raw, in->nraw and in->err_at so that
 * emu_format_error() can name the bytes.
 */
int emu_decode(const u8 *bytes, size_t n, const struct emu_regs *regs,
	       const struct emu_segs *segs, struct emu_insn *in);

/*
 * The length and operands of an instruction that made a VM exit, for a CPU
 * that does not report them (SVM without NRIP save / decode assists): HLT,
 * PAUSE, CPUID, RDMSR, WRMSR, INVD, WBINVD, VMMCALL, VMCALL, MONITOR,
 * MWAIT, CLTS, MOV to/from CRn, LMSW r16, INVLPG m (64-bit mode).  long64:
 * the guest runs in 64-bit mode (REX prefixes exist).  Returns EMU_OK or an
 * enum emu_err, filling *in as emu_decode() does.
 */
int emu_decode_sys(const u8 *bytes, size_t n, bool long64, const struct emu_regs *regs,
		   struct emu_insn *in);

/*
 * True if the guest-linear address addr lies inside the operand the decoded
 * instruction writes first ([lin, lin + size)).  The glue checks that the
 * faulting address (exit qualification of the #PF) passes this test before
 * emulating, so that it never performs a write the guest did not attempt.
 */
bool emu_insn_covers(const struct emu_insn *in, u64 addr);

/* "mov", "lock cmpxchg", "rep stos"...: for log lines. */
const char *emu_op_name(const struct emu_insn *in);
const char *emu_strerror(int err);

/*
 * One log line's worth of text for a failed decode or emulation:
 *     "unsupported instruction f0 0f c1 07 (byte 1)"
 * NUL-terminated, truncated to size.  Returns the length written.
 */
size_t emu_format_error(char *buf, size_t size, int err, const struct emu_insn *in);

#endif
