/*
 * cr_check.c - what MOV to CR0/CR3/CR4 and WRMSR EFER refuse (pure; see
 * cr_check.h).  The glue (shadow_glue.c, msr.c) injects #GP(0) and logs the
 * reason when a check says no; only then does the shadow pager see the
 * value.
 */
#include "guest/cr_check.h"
#include "x86.h"

/* CR0 bits with a meaning (SDM 2.5); writes to the other low bits are
 * ignored, CR0.ET reads as 1 on every CPU since the P6. */
#define CR0_DEFINED \
	(CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_NW | \
	 CR0_CD | CR0_PG)
#define CR3_NOFLUSH BIT(63) /* with CR4.PCIDE = 1: do not flush; never stored */

static bool long_mode(const struct cr_regs *r) { return r->efer & EFER_LMA; }

/* In 64-bit mode MOV to CR takes 64 bits; anywhere else 32, and the upper
 * half of the register becomes zero (SDM Vol. 2B, MOV to CR). */
static bool mode64(const struct cr_regs *r) { return long_mode(r) && r->cs_l; }

static u64 operand(const struct cr_regs *r, u64 val)
{
	return mode64(r) ? val : (u32)val;
}

const char *cr_check_cr0(const struct cr_regs *r, u64 *val)
{
	u64 v = operand(r, *val);
	if (v >> 32)
		return "CR0 bits 63:32 are reserved";
	if ((v & CR0_PG) && !(v & CR0_PE))
		return "CR0.PG = 1 with CR0.PE = 0";
	if ((v & CR0_NW) && !(v & CR0_CD))
		return "CR0.NW = 1 with CR0.CD = 0";
	if (!(v & CR0_PG) && (r->cr0 & CR0_PG) && (mode64(r) || (r->cr4 & CR4_PCIDE)))
		return "CR0.PG cleared in 64-bit mode or with CR4.PCIDE = 1";
	if ((v & CR0_PG) && !(r->cr0 & CR0_PG) && (r->efer & EFER_LME) && !(r->cr4 & CR4_PAE))
		return "CR0.PG set with EFER.LME = 1 and CR4.PAE = 0";
	*val = (v & CR0_DEFINED) | CR0_ET;
	return NULL;
}

const char *cr_check_cr3(const struct cr_regs *r, u8 maxphyaddr, u64 *val)
{
	u64 v = operand(r, *val);
	if (mode64(r)) {
		/* SDM 4.5, Table 4-12: bits 63:MAXPHYADDR are reserved; with
		 * PCIDE = 1, bit 63 asks for no flush and is not stored. */
		if (r->cr4 & CR4_PCIDE)
			v &= ~CR3_NOFLUSH;
		else if (v & CR3_NOFLUSH)
			return "CR3 bit 63 set with CR4.PCIDE = 0";
		if (v >> maxphyaddr)
			return "CR3 sets bits above MAXPHYADDR";
	}
	*val = v;
	return NULL;
}

const char *cr_check_cr4(const struct cr_regs *r, u64 cpu_allows, u64 *val)
{
	u64 v = operand(r, *val);
	if (v & ~(CR4_GUEST_BITS & cpu_allows))
		return "CR4 sets a reserved bit or a feature this CPU does not report";
	if (long_mode(r) && !(v & CR4_PAE))
		return "CR4.PAE cleared in IA-32e mode";
	*val = v;
	return NULL;
}

const char *cr_check_efer(const struct cr_regs *r, u64 *val)
{
	/* SDM 9.8.5: LME cannot change while paging is on; LMA is the CPU's
	 * (LME && PG) and a write does not change it. */
	if ((r->cr0 & CR0_PG) && ((*val ^ r->efer) & EFER_LME))
		return "EFER.LME changed while CR0.PG = 1";
	*val = (*val & ~EFER_LMA) | (r->efer & EFER_LMA);
	return NULL;
}
