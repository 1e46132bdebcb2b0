UNIT_TESTS += test_vmx_pure test_cpu_filters
test_vmx_pure_SRCS := hv/vmx/tests/test_vmx_pure.c hv/vmx/vmx_pure.c
test_cpu_filters_SRCS := hv/vmx/tests/test_cpu_filters.c hv/guest/cpuid.c hv/guest/msr_filter.c
