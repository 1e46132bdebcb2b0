# tools/logplot/unit.mk - the console log's tables (logcsv.awk), which
# tools/logplot.sh turns into the pictures of make run.  The test runs awk
# from the top of the tree.
UNIT_TESTS += test_logcsv
test_logcsv_SRCS := tools/logplot/tests/test_logcsv.c
