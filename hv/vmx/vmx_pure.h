/*
 * vmx_pure.h - the parts of VMX bring-up that are arithmetic, not
 * instructions: adjusting controls to what the CPU allows, decoding VMCS
 * field encodings, naming exit reasons and VM-instruction errors.
 * Unit-tested on the host (hv/vmx/tests/test_vmx_pure.c).
 */
#ifndef FORMICA_VMX_PURE_H
#define FORMICA_VMX_PURE_H

#include "types.h"

/*
 * A VMX capability MSR (IA32_VMX_PINBASED_CTLS and friends, SDM Vol. 3,
 * A.3-A.5) says, per control bit:
 *   low 32 bits  ("allowed 0-settings"): a 1 here means the bit MUST be 1;
 *   high 32 bits ("allowed 1-settings"): a 0 here means the bit MUST be 0.
 * vmx_adjust_controls() returns the value to write: what we want, plus
 * every must-be-1 bit, minus every must-be-0 bit.  *refused gets the bits
 * we wanted that the CPU cannot give (the caller decides whether that is
 * fatal).
 */
u32 vmx_adjust_controls(u64 cap_msr, u32 wanted, u32 *refused);

/*
 * Which timer ends the next stay in the guest.  configured: formica.cfg
 * says timer = preemption; available: the CPU allows the VMX-preemption
 * timer; guest_if: RFLAGS.IF of the guest at this entry.  The local APIC
 * timer is used otherwise, except for an entry with IF = 0: Bochs then
 * never delivers the APIC timer's interrupt, so that stay gets the
 * VMX-preemption timer (hv/guest/guest.c, arm_deadline(), says why).
 */
bool vmx_deadline_by_preemption_timer(bool configured, bool available, bool guest_if);

enum vmcs_width { VMCS_W16 = 0, VMCS_W64 = 1, VMCS_W32 = 2, VMCS_WNATURAL = 3 };
enum vmcs_type { VMCS_CONTROL = 0, VMCS_EXIT_INFO = 1, VMCS_GUEST = 2, VMCS_HOST = 3 };

static inline enum vmcs_width vmcs_field_width(u32 enc) { return (enc >> 13) & 3; }
static inline enum vmcs_type vmcs_field_type(u32 enc) { return (enc >> 10) & 3; }
static inline bool vmcs_field_is_high(u32 enc) { return enc & 1; }
/* Bytes the field holds on a 64-bit CPU. */
unsigned vmcs_field_bytes(u32 enc);
/* A printable name for a field we use, or NULL. */
const char *vmcs_field_name(u32 enc);

#define EXIT_REASON_MAX 69
/* "CPUID", "I/O instruction", ... for a basic exit reason (bits 15:0). */
const char *exit_reason_name(u32 basic_reason);
/* Text for the VM-instruction error field (SDM Vol. 3, 31.4). */
const char *vm_instruction_error_name(u32 err);

/* Exit reasons we dispatch on (SDM Vol. 3, Appendix C). */
enum exit_reason {
	EXIT_REASON_EXCEPTION_NMI = 0,
	EXIT_REASON_EXTERNAL_INTERRUPT = 1,
	EXIT_REASON_TRIPLE_FAULT = 2,
	EXIT_REASON_INIT = 3,
	EXIT_REASON_SIPI = 4,
	EXIT_REASON_INTERRUPT_WINDOW = 7,
	EXIT_REASON_NMI_WINDOW = 8,
	EXIT_REASON_TASK_SWITCH = 9,
	EXIT_REASON_CPUID = 10,
	EXIT_REASON_GETSEC = 11,
	EXIT_REASON_HLT = 12,
	EXIT_REASON_INVD = 13,
	EXIT_REASON_INVLPG = 14,
	EXIT_REASON_RDPMC = 15,
	EXIT_REASON_RDTSC = 16,
	EXIT_REASON_RSM = 17,
	EXIT_REASON_VMCALL = 18,
	EXIT_REASON_VMCLEAR = 19,
	EXIT_REASON_VMLAUNCH = 20,
	EXIT_REASON_VMPTRLD = 21,
	EXIT_REASON_VMPTRST = 22,
	EXIT_REASON_VMREAD = 23,
	EXIT_REASON_VMRESUME = 24,
	EXIT_REASON_VMWRITE = 25,
	EXIT_REASON_VMXOFF = 26,
	EXIT_REASON_VMXON = 27,
	EXIT_REASON_CR_ACCESS = 28,
	EXIT_REASON_DR_ACCESS = 29,
	EXIT_REASON_IO_INSTRUCTION = 30,
	EXIT_REASON_RDMSR = 31,
	EXIT_REASON_WRMSR = 32,
	EXIT_REASON_INVALID_GUEST_STATE = 33,
	EXIT_REASON_MSR_LOADING = 34,
	EXIT_REASON_MWAIT = 36,
	EXIT_REASON_MONITOR_TRAP_FLAG = 37,
	EXIT_REASON_MONITOR = 39,
	EXIT_REASON_PAUSE = 40,
	EXIT_REASON_MACHINE_CHECK = 41,
	EXIT_REASON_INVEPT = 50,
	EXIT_REASON_RDTSCP = 51,
	EXIT_REASON_PREEMPTION_TIMER = 52,
	EXIT_REASON_INVVPID = 53,
	EXIT_REASON_WBINVD = 54,
	EXIT_REASON_XSETBV = 55,
	EXIT_REASON_RDRAND = 57,
	EXIT_REASON_INVPCID = 58,
	EXIT_REASON_VMFUNC = 59,
	EXIT_REASON_RDSEED = 61,
	EXIT_REASON_XSAVES = 63,
	EXIT_REASON_XRSTORS = 64,
};

#define EXIT_REASON_ENTRY_FAILURE BIT(31) /* in VM_EXIT_REASON: VM entry failed */

#endif
