/*
 * rootwrite.h - performing a guest's write to a watched PML4 page, so that
 * Antfarm sees the old and the new value of every entry it changes.
 *
 * Antfarm keeps the count of present user entries of every live root exact
 * (antfarm.c).  The shadow pager keeps those pages read-only in the shadow
 * tables (shadow_watch), so each write the guest makes to one exits as a #PF
 * that shadow_page_fault() calls SHADOW_WATCHED_WRITE.  The hypervisor then
 * does the write itself:
 *
 *   1. fetch the instruction at RIP through the guest's page tables, up to
 *      15 bytes; an instruction that crosses into the next page has that
 *      page translated on its own (the two pages need not be neighbours in
 *      guest-physical memory);
 *   2. emu_step(): decode, check that the operand covers the faulting
 *      address, perform it (hv/emu/);
 *   3. the emulator's memory callbacks translate each qword's linear
 *      address through the guest's page tables as a write (setting A and D
 *      as the CPU would have), store into guest RAM, and hand every qword
 *      stored into a live root to af_root_write() with its old and new
 *      value, and every qword stored to shadow_guest_write() (the synced
 *      shadow policy protects the guest's page tables the same way, and
 *      drops the shadow entries built from what was written).
 *
 * Pure: the VMX glue (hv/guest/antfarm_glue.c) reads the registers from the
 * VMCS before and writes them back after; everything in between is here and
 * runs in host unit tests on a real shadow pager, walker, emulator and
 * Antfarm (hv/antfarm/tests/test_glue_rootwrite.c).
 *
 * The caller must be in 64-bit mode (CS.L = 1: the decoder knows no other)
 * and must not be delivering an event (IDT-vectoring information valid: no
 * instruction made the write).  One vCPU, or the guest's paging lock held:
 * the read-then-write of LOCK'ed instructions is exact only if nothing else
 * writes the page meanwhile (emulate.h).
 */
#ifndef FORMICA_ANTFARM_ROOTWRITE_H
#define FORMICA_ANTFARM_ROOTWRITE_H

#include "types.h"
#include "antfarm/antfarm.h"
#include "emu/emulate.h"
#include "mm/shadow.h"

/*
 * Up to EMU_MAX_INSN_LEN bytes of the instruction at guest-linear rip, read
 * through the guest's current page tables without touching their A flags.
 * access: WALK_USER if the guest runs at CPL 3, else 0.  Returns how many
 * bytes were fetched: fewer than 15 when the next page does not translate
 * (the decoder says "truncated" only if the instruction needed them), 0 if
 * rip itself does not.
 */
size_t af_fetch_insn(struct shadow_ctx *sh, u64 rip, u32 access, u8 *buf);

/*
 * The guest's write fault at fault_lin, on a watched page: perform the
 * instruction at regs->rip on regs and guest memory, and report root
 * entries to af.  access: WALK_USER for CPL 3, WALK_AC for CPL 0-2 with
 * RFLAGS.AC = 1 (SMAP), else 0.  now_tsc stamps the root writes.
 *
 * Returns EMU_OK, or an enum emu_err: EMU_ERR_MEM also when no instruction
 * byte could be fetched (then in->nraw = 0).  *in is filled either way, for
 * emu_format_error().  On an error from the decoder or the address check
 * nothing was written and *regs is unchanged.
 */
int af_emulate_write(struct af *af, struct shadow_ctx *sh, struct emu_regs *regs,
		     const struct emu_segs *segs, u32 access, u64 fault_lin, u64 now_tsc,
		     struct emu_insn *in);

#endif
