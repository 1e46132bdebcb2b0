# hv/emu/unit.mk - unit tests of the page-table write decoder and emulator
# (see hv/ARCHITECTURE.md, "Adding a unit test").
UNIT_TESTS += test_emu_decode test_emu_emulate test_emu_sysinsn
test_emu_decode_SRCS := hv/emu/tests/test_emu_decode.c hv/emu/decode.c hv/lib/sbuf.c
test_emu_sysinsn_SRCS := hv/emu/tests/test_emu_sysinsn.c hv/emu/decode.c hv/lib/sbuf.c
test_emu_emulate_SRCS := hv/emu/tests/test_emu_emulate.c hv/emu/emulate.c hv/emu/decode.c hv/lib/sbuf.c
# The emulator test runs the same instructions natively (inline asm that
# pushes RFLAGS), so it must not keep data in the red zone.
test_emu_emulate_CFLAGS := -mno-red-zone
