# The screen console's renderer and font (pure parts of the screen console).
UNIT_TESTS += test_textcon
test_textcon_SRCS := hv/screen/tests/test_textcon.c hv/screen/textcon.c hv/screen/font.c
