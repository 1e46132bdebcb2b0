# PCI: BAR decoding and the ACPI MCFG lookup (pure parts of hv/pci).
UNIT_TESTS += test_pci
test_pci_SRCS := hv/pci/tests/test_pci.c hv/pci/bar.c hv/pci/mcfg.c
