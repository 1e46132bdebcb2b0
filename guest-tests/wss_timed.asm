; wss_timed.asm - 10000 pages, a fixed number of sweeps, timed: what the
; sampler costs a guest (tools/wss-cost.sh; guest-tests/wss.inc).
%define K 10000
%define SWEEPS 6000
%include "wss.inc"
