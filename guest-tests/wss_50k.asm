; wss_50k.asm - a guest whose working set is 50000 pages (guest-tests/wss.inc).
%define K 50000
%include "wss.inc"
