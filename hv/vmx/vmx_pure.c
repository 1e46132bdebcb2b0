/*
 * vmx_pure.c - VMX arithmetic and names (see vmx_pure.h).
 */
#include "vmx/vmx_pure.h"
#include "vmx/vmcs_fields.h"

bool vmx_deadline_by_preemption_timer(bool configured, bool available, bool guest_if)
{
	return available && (configured || !guest_if);
}

u32 vmx_adjust_controls(u64 cap_msr, u32 wanted, u32 *refused)
{
	u32 must_be_1 = (u32)cap_msr;
	u32 may_be_1 = (u32)(cap_msr >> 32);
	u32 v = (wanted | must_be_1) & may_be_1;
	if (refused)
		*refused = wanted & ~v;
	return v;
}

unsigned vmcs_field_bytes(u32 enc)
{
	if (vmcs_field_is_high(enc))
		return 4; /* the upper half of a 64-bit field */
	static const unsigned bytes[4] = { 2, 8, 4, 8 };
	return bytes[vmcs_field_width(enc)];
}

/* SDM Vol. 3, Appendix C, "VMX basic exit reasons". */
static const char *const exit_names[EXIT_REASON_MAX + 1] = {
	[0] = "exception or NMI",
	[1] = "external interrupt",
	[2] = "triple fault",
	[3] = "INIT signal",
	[4] = "start-up IPI",
	[5] = "I/O SMI",
	[6] = "other SMI",
	[7] = "interrupt window",
	[8] = "NMI window",
	[9] = "task switch",
	[10] = "CPUID",
	[11] = "GETSEC",
	[12] = "HLT",
	[13] = "INVD",
	[14] = "INVLPG",
	[15] = "RDPMC",
	[16] = "RDTSC",
	[17] = "RSM",
	[18] = "VMCALL",
	[19] = "VMCLEAR",
	[20] = "VMLAUNCH",
	[21] = "VMPTRLD",
	[22] = "VMPTRST",
	[23] = "VMREAD",
	[24] = "VMRESUME",
	[25] = "VMWRITE",
	[26] = "VMXOFF",
	[27] = "VMXON",
	[28] = "control-register access",
	[29] = "MOV DR",
	[30] = "I/O instruction",
	[31] = "RDMSR",
	[32] = "WRMSR",
	[33] = "VM-entry failure: invalid guest state",
	[34] = "VM-entry failure: MSR loading",
	[36] = "MWAIT",
	[37] = "monitor trap flag",
	[39] = "MONITOR",
	[40] = "PAUSE",
	[41] = "VM-entry failure: machine-check event",
	[43] = "TPR below threshold",
	[44] = "APIC access",
	[45] = "virtualized EOI",
	[46] = "GDTR/IDTR access",
	[47] = "LDTR/TR access",
	[48] = "EPT violation",
	[49] = "EPT misconfiguration",
	[50] = "INVEPT",
	[51] = "RDTSCP",
	[52] = "VMX-preemption timer expired",
	[53] = "INVVPID",
	[54] = "WBINVD",
	[55] = "XSETBV",
	[56] = "APIC write",
	[57] = "RDRAND",
	[58] = "INVPCID",
	[59] = "VMFUNC",
	[60] = "ENCLS",
	[61] = "RDSEED",
	[62] = "page-modification log full",
	[63] = "XSAVES",
	[64] = "XRSTORS",
	[65] = "PCONFIG",
	[66] = "SPP-related event",
	[67] = "UMWAIT",
	[68] = "TPAUSE",
	[69] = "LOADIWKEY",
};

const char *exit_reason_name(u32 basic_reason)
{
	if (basic_reason > EXIT_REASON_MAX || !exit_names[basic_reason])
		return "unknown exit reason";
	return exit_names[basic_reason];
}

/* SDM Vol. 3, 31.4, "VM instruction error numbers". */
static const char *const vm_errors[] = {
	[1] = "VMCALL executed in VMX root operation",
	[2] = "VMCLEAR with invalid physical address",
	[3] = "VMCLEAR with VMXON pointer",
	[4] = "VMLAUNCH with non-clear VMCS",
	[5] = "VMRESUME with non-launched VMCS",
	[6] = "VMRESUME after VMXOFF",
	[7] = "VM entry with invalid control field(s)",
	[8] = "VM entry with invalid host-state field(s)",
	[9] = "VMPTRLD with invalid physical address",
	[10] = "VMPTRLD with VMXON pointer",
	[11] = "VMPTRLD with incorrect VMCS revision identifier",
	[12] = "VMREAD/VMWRITE from/to unsupported VMCS component",
	[13] = "VMWRITE to read-only VMCS component",
	[15] = "VMXON executed in VMX root operation",
	[16] = "VM entry with invalid executive-VMCS pointer",
	[17] = "VM entry with non-launched executive VMCS",
	[18] = "VM entry with executive-VMCS pointer not VMXON pointer",
	[19] = "VMCALL with non-clear VMCS",
	[20] = "VMCALL with invalid VM-exit control fields",
	[22] = "VMCALL with incorrect MSEG revision identifier",
	[23] = "VMXOFF under dual-monitor treatment of SMIs and SMM",
	[24] = "VMCALL with invalid SMM-monitor features",
	[25] = "VM entry with invalid VM-execution control fields in executive VMCS",
	[26] = "VM entry with events blocked by MOV SS",
	[28] = "invalid operand to INVEPT/INVVPID",
};

const char *vm_instruction_error_name(u32 err)
{
	if (err >= ARRAY_SIZE(vm_errors) || !vm_errors[err])
		return "unknown VM-instruction error";
	return vm_errors[err];
}

struct field_name {
	u32 enc;
	const char *name;
};
#define F(x) { x, #x }
static const struct field_name field_names[] = {
	F(GUEST_CR0), F(GUEST_CR3), F(GUEST_CR4), F(GUEST_RIP), F(GUEST_RSP), F(GUEST_RFLAGS),
	F(GUEST_CS_SELECTOR), F(GUEST_CS_AR_BYTES), F(GUEST_TR_AR_BYTES), F(GUEST_IA32_EFER),
	F(PIN_BASED_VM_EXEC_CONTROL), F(CPU_BASED_VM_EXEC_CONTROL), F(SECONDARY_VM_EXEC_CONTROL),
	F(VM_EXIT_CONTROLS), F(VM_ENTRY_CONTROLS), F(EXCEPTION_BITMAP), F(VM_EXIT_REASON),
	F(EXIT_QUALIFICATION), F(VM_INSTRUCTION_ERROR), F(HOST_RIP), F(HOST_RSP),
	F(VMCS_LINK_POINTER), F(TSC_OFFSET),
};
#undef F

const char *vmcs_field_name(u32 enc)
{
	for (size_t i = 0; i < ARRAY_SIZE(field_names); i++)
		if (field_names[i].enc == enc)
			return field_names[i].name;
	return NULL;
}
