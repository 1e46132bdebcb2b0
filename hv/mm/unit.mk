# hv/mm: the guest page-table walker and the shadow pager (pure cores).
UNIT_TESTS += test_walk test_shadow
test_walk_SRCS := hv/mm/tests/test_walk.c hv/mm/tests/guest_pt.c hv/mm/walk.c
test_shadow_SRCS := hv/mm/tests/test_shadow.c hv/mm/tests/shadow_cpu.c hv/mm/tests/guest_pt.c hv/mm/shadow.c hv/mm/spt.c hv/mm/roots.c hv/mm/watch.c hv/mm/synced.c hv/mm/wpset.c hv/mm/walk.c
UNIT_TESTS += test_shadow_diff
test_shadow_diff_SRCS := hv/mm/tests/test_shadow_diff.c hv/mm/tests/shadow_cpu.c \
	hv/mm/tests/guest_pt.c hv/mm/shadow.c hv/mm/spt.c hv/mm/roots.c hv/mm/watch.c hv/mm/synced.c hv/mm/wpset.c hv/mm/walk.c
# The synced policy (synced.c) on its own, and its write-protect set; the
# shadow-page index (spcache.c) is not wired in yet.
UNIT_TESTS += test_synced
test_synced_SRCS := hv/mm/tests/test_synced.c hv/mm/tests/shadow_cpu.c hv/mm/tests/guest_pt.c \
	hv/mm/shadow.c hv/mm/spt.c hv/mm/roots.c hv/mm/watch.c hv/mm/synced.c hv/mm/wpset.c \
	hv/mm/walk.c
UNIT_TESTS += test_wpset test_spcache
test_wpset_SRCS := hv/mm/tests/test_wpset.c hv/mm/wpset.c
test_spcache_SRCS := hv/mm/tests/test_spcache.c hv/mm/spcache.c
# 2 MiB shadow leaves: one test per rule.
UNIT_TESTS += test_large
test_large_SRCS := hv/mm/tests/test_large.c hv/mm/tests/shadow_cpu.c hv/mm/tests/guest_pt.c \
	hv/mm/shadow.c hv/mm/spt.c hv/mm/roots.c hv/mm/watch.c hv/mm/synced.c hv/mm/wpset.c \
	hv/mm/walk.c
