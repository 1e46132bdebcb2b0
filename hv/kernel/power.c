/*
 * power.c - ending the run: power off through the EFI runtime services.
 *
 * UEFI keeps its runtime services callable after ExitBootServices, at their
 * physical addresses as long as nobody called SetVirtualAddressMap (we do
 * not) and they stay mapped (our identity map covers them).  ResetSystem
 * with EfiResetShutdown powers off the machine, QEMU exits, and a USB-booted
 * PC switches off.  Bochs does not implement the shutdown; the test harness
 * stops it when it sees the end marker.
 */
#include "handoff.h"
#include "console.h"
#include "kprintf.h"
#include "power.h"
#include "x86.h"

/* EFI_RUNTIME_SERVICES: a 24-byte table header, then ten pointers before
 * ResetSystem (UEFI spec 2.9, 4.5). */
#define EFI_RT_RESET_SYSTEM_OFFSET (24 + 10 * 8)
#define EFI_RESET_SHUTDOWN 2

typedef void __attribute__((ms_abi)) (*efi_reset_system_fn)(int type, u64 status, u64 size,
							    void *data);

static u64 efi_runtime;

void power_init(const struct handoff *h) { efi_runtime = h->efi_runtime; }

void power_off(void)
{
	kprintf("formica: powering off\n");
	console_flush(); /* the queue would die with the machine */
	if (efi_runtime) {
		efi_reset_system_fn reset =
			*(efi_reset_system_fn *)(efi_runtime + EFI_RT_RESET_SYSTEM_OFFSET);
		reset(EFI_RESET_SHUTDOWN, 0, 0, 0);
	}
	kprintf("formica: power-off did not happen; halting\n");
	console_flush();
	halt_forever();
}
