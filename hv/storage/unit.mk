# Storage: the pure parts of hv/storage (ATA/AHCI/IDE structures, IDENTIFY,
# partition tables and extent rules, the block layer's checks, the
# self-test pattern).  The integration test boots real controller models.
UNIT_TESTS += test_ata test_extents test_block
test_ata_SRCS := hv/storage/tests/test_ata.c hv/storage/ata.c
test_extents_SRCS := hv/storage/tests/test_extents.c hv/storage/extents.c hv/lib/printf.c
test_block_SRCS := hv/storage/tests/test_block.c hv/storage/block.c hv/storage/pattern.c
# The disk queue: sched/ in front of a (fake) disk.
UNIT_TESTS += test_diskq
test_diskq_SRCS := hv/storage/tests/test_diskq.c hv/storage/diskq.c hv/storage/block.c \
	$(filter-out %/tests/%,$(wildcard sched/*.c))

ITESTS += tools/storage-test.sh
