/*
 * emulate.h - performing a decoded page-table write on the guest's behalf.
 *
 * The emulator does what the CPU would have done had the page not been
 * write-protected: it updates the destination in guest memory, the
 * registers the instruction writes (RAX for a failed CMPXCHG, the source
 * register of XCHG, RCX and RDI for STOS), the status flags, and RIP.
 *
 * Guest memory is reached only through two callbacks, one aligned 8-byte
 * word at a time.  The glue translates each guest-linear address (the
 * guest's page tables; the emulator has no idea of them) and performs the
 * access.  Because every store arrives as "this qword was old, is now new",
 * the glue can hand each user-half PML4 entry write to Antfarm
 * (af_root_write) with both values, which is the whole point.
 *
 * Atomicity: LOCK, XCHG and CMPXCHG are emulated as read-then-write.  That
 * is exact as long as nothing else writes the page in between; the glue
 * guarantees it by holding the guest's paging lock (every writer of a
 * watched page comes through here, since the page is write-protected on
 * every vCPU).  The hardware's own accessed/dirty updates never land in a
 * PML4 the guest sees: with shadow paging the CPU walks the shadow tables.
 */
#ifndef FORMICA_EMU_EMULATE_H
#define FORMICA_EMU_EMULATE_H

#include "types.h"
#include "emu/decode.h"
#include "emu/regs.h"

struct emu_mem {
	/* Read the 8 bytes at guest-linear lin (lin % 8 == 0).  false: the
	 * address does not translate or is not guest RAM. */
	bool (*read_qword)(void *ctx, u64 lin, u64 *val);
	/* Write new_val to the 8 bytes at lin (lin % 8 == 0).  old is the value
	 * read_qword returned for the same qword during this instruction.
	 * Called once per qword the instruction stores into, in ascending
	 * address order, even when old == new_val (a failed CMPXCHG writes
	 * back what it read, as the CPU does). */
	bool (*write_qword)(void *ctx, u64 lin, u64 old, u64 new_val);
	void *ctx;
};

/*
 * Perform the decoded instruction in on regs and guest memory.
 * Returns EMU_OK or EMU_ERR_MEM.  Reads come first: if a read fails nothing
 * has been written.  The registers (and RIP) change only after every write
 * succeeded.
 *
 * REP STOS: the emulator stores the elements that start in the same 4 KiB
 * page as the first one (the page that faulted), updates RCX and RDI, and
 * advances RIP only when RCX reaches zero.  Otherwise the guest resumes the
 * same instruction, exactly as after an interrupt in the middle of a REP
 * (SDM Vol. 1, 7.3.9.1 / Vol. 2B, REP), and the hardware does the rest of
 * the string, faulting again only on the next watched page.  This keeps
 * every store inside the page the glue checked.  STOS is idempotent, so a
 * write that fails half-way needs no undo.
 */
int emu_execute(const struct emu_insn *in, struct emu_regs *regs, const struct emu_mem *mem);

/*
 * The glue's one call on a write fault at guest-linear fault_lin:
 * emu_decode(), the check that the decoded operand covers fault_lin
 * (EMU_ERR_ADDRESS if not: the bytes at RIP are not what faulted, e.g. the
 * guest changed its code, and nothing is done), then emu_execute().
 * *in is filled either way, for the log line.
 */
int emu_step(const u8 *bytes, size_t n, struct emu_regs *regs, const struct emu_segs *segs,
	     const struct emu_mem *mem, u64 fault_lin, struct emu_insn *in);

#endif
