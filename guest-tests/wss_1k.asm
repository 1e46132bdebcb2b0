; wss_1k.asm - a guest whose working set is 1000 pages (guest-tests/wss.inc).
%define K 1000
%include "wss.inc"
