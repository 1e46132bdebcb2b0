# hv/dev: the guest's virtual PC - device models (pure cores) and their bus.
UNIT_TESTS += test_vio test_pic test_pit test_uart test_rtc test_pci_cfg test_misc test_vpc
test_vio_SRCS := hv/dev/tests/test_vio.c hv/dev/vio.c
test_pic_SRCS := hv/dev/tests/test_pic.c hv/dev/pic8259.c
test_pit_SRCS := hv/dev/tests/test_pit.c hv/dev/pit8254.c
test_uart_SRCS := hv/dev/tests/test_uart.c hv/dev/uart16550.c
test_rtc_SRCS := hv/dev/tests/test_rtc.c hv/dev/rtc.c
test_pci_cfg_SRCS := hv/dev/tests/test_pci_cfg.c hv/dev/pci_cfg.c
test_misc_SRCS := hv/dev/tests/test_misc.c hv/dev/misc.c hv/dev/vio.c
test_vpc_SRCS := hv/dev/tests/test_vpc.c hv/dev/vpc.c hv/dev/vio.c hv/dev/pic8259.c \
	hv/dev/pit8254.c hv/dev/uart16550.c hv/dev/rtc.c hv/dev/pci_cfg.c hv/dev/misc.c
UNIT_TESTS += test_virtqueue test_virtio_blk
test_virtqueue_SRCS := hv/dev/tests/test_virtqueue.c hv/dev/virtqueue.c
test_virtio_blk_SRCS := hv/dev/tests/test_virtio_blk.c hv/dev/virtio_blk.c hv/dev/virtqueue.c \
	hv/dev/pci_cfg.c
test_vdisk_SRCS := hv/dev/tests/test_vdisk.c hv/dev/vdisk.c
UNIT_TESTS += test_vdisk
# The whole virtual-disk path: device, keys, disk queue and scheduler, extents, block layer.
UNIT_TESTS += test_vblkq
test_vblkq_SRCS := hv/dev/tests/test_vblkq.c hv/dev/vblkq.c hv/dev/vdisk.c hv/dev/virtio_blk.c \
	hv/dev/virtqueue.c hv/dev/pci_cfg.c hv/antfarm/iokey.c hv/antfarm/antfarm.c \
	hv/storage/diskq.c hv/storage/block.c \
	$(filter-out %/tests/%,$(wildcard sched/*.c))
