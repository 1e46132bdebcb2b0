# PCI: BAR decoding and the ACPI MCFG lookup (pure parts of hv/pci).
UNIT_TESTS += test_pci
test_pci_SRCS := hv/pci/tests/test_pci.c hv/pci/bar.c hv/pci/mcfg.c
# Choosing the console's PCI 16550 (serialpick.c).
UNIT_TESTS += test_serialpick
test_serialpick_SRCS := hv/pci/tests/test_serialpick.c hv/pci/serialpick.c hv/pci/bar.c
