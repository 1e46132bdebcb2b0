# hv/antfarm/unit.mk - unit tests of Antfarm's inference rules and its event
# lines (see hv/ARCHITECTURE.md, "Adding a unit test").
UNIT_TESTS += test_antfarm test_af_evlog test_af_glue
test_antfarm_SRCS := hv/antfarm/tests/test_antfarm.c hv/antfarm/antfarm.c
test_af_evlog_SRCS := hv/antfarm/tests/test_af_evlog.c hv/antfarm/evlog.c hv/lib/sbuf.c
# The emulator and Antfarm wired together as the paging core's glue will.
test_af_glue_SRCS := hv/antfarm/tests/test_af_glue.c hv/antfarm/antfarm.c hv/emu/emulate.c \
	hv/emu/decode.c hv/lib/sbuf.c
# The watched-write path of the paging glue (rootwrite.c) over the real
# shadow pager, walker, emulator and Antfarm.
UNIT_TESTS += test_glue_rootwrite
test_glue_rootwrite_SRCS := hv/antfarm/tests/test_glue_rootwrite.c hv/antfarm/rootwrite.c \
	hv/antfarm/antfarm.c hv/emu/emulate.c hv/emu/decode.c hv/lib/sbuf.c hv/mm/shadow.c hv/mm/spt.c \
	hv/mm/roots.c hv/mm/watch.c hv/mm/synced.c hv/mm/wpset.c hv/mm/walk.c \
	hv/mm/tests/guest_pt.c
# Request keys for the I/O scheduler from Antfarm's current address space.
UNIT_TESTS += test_iokey
test_iokey_SRCS := hv/antfarm/tests/test_iokey.c hv/antfarm/iokey.c hv/antfarm/antfarm.c
