/*
 * entry.S - the first instructions of the hypervisor.
 *
 * boot/ jumps here with %rdi = struct handoff *, interrupts off, on the
 * firmware's page tables and stack.  We are running at whatever address
 * UEFI gave us, but the image was linked at 0: every absolute pointer in
 * the data (function-pointer tables such as the exit dispatch table) is
 * still an offset.  The linker listed each one in .rela.dyn as an
 * R_X86_64_RELATIVE relocation; we add our load address to each, exactly
 * once, before any C code runs.  Code itself is RIP-relative and needs no
 * fixing.
 */
#define R_X86_64_NONE 0
#define R_X86_64_RELATIVE 8

	.section .text.entry, "ax"
	.globl hv_start
hv_start:
	cli
	cld
	lea	__hv_start(%rip), %r8		/* load address */
	lea	__rela_start(%rip), %r9
	lea	__rela_end(%rip), %r10
1:	cmp	%r10, %r9
	jae	3f
	mov	8(%r9), %eax			/* ELF64_R_TYPE(r_info) */
	cmp	$R_X86_64_NONE, %eax
	je	2f
	cmp	$R_X86_64_RELATIVE, %eax
	jne	bad_reloc
	mov	(%r9), %rax			/* r_offset */
	mov	16(%r9), %rdx			/* r_addend */
	add	%r8, %rdx
	mov	%rdx, (%r8,%rax)
2:	add	$24, %r9			/* sizeof(Elf64_Rela) */
	jmp	1b

3:	lea	hv_stack_top(%rip), %rsp	/* our own stack from here on */
	xor	%ebp, %ebp
	call	hv_main				/* (struct handoff *) in %rdi */
bad_reloc:					/* nothing to print with yet */
	cli
	hlt
	jmp	bad_reloc

	.section .bss
	.balign 4096
	.globl hv_stack_bottom
hv_stack_bottom:
	.space 65536
	.globl hv_stack_top
hv_stack_top:
