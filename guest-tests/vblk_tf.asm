; vblk_tf.asm - a guest that dies with its disk request in flight.
;
; vblk.asm's driver with one change (VBLK_TRIPLE_FAULT): right after the
; handshake it submits one 8-sector read and, without waiting for it,
; triple-faults (UD2 with an empty IDT).  The request is then at the
; physical disk, or queued for it, on behalf of a guest that is gone.  The
; hv must finish it there (the disk queue's counts agree at the end), write
; nothing but that guest's own RAM, end only that guest (ended=triple-fault)
; and keep the others - vblk, vblk2 and hello in tools/vblk-test.sh, which
; are doing disk I/O themselves - running to their normal end.
%define VBLK_TRIPLE_FAULT
%include "vblk.asm"
