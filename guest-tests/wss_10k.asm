; wss_10k.asm - a guest whose working set is 10000 pages (guest-tests/wss.inc).
%define K 10000
%include "wss.inc"
