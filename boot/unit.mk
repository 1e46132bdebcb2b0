# boot/unit.mk - unit tests of boot/'s pure parts (see hv/ARCHITECTURE.md).
UNIT_TESTS += test_config
test_config_SRCS := boot/tests/test_config.c boot/config.c
