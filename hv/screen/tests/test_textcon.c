/*
 * test_textcon.c - the screen console's renderer and font (hv/screen/).
 * Cells are checked pixel by pixel against font_row(), so a test names the
 * character it expects in a cell, not a pixel pattern.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>

#include "types.h"
#include "string.h"
#include "screen/textcon.h"

#define FG 0x00aaaaaa
#define BG 0x00000011

/* Does cell (col, row) show c, at t's scale? */
static bool cell_is(const struct textcon *t, u32 col, u32 row, char c)
{
	u32 s = t->scale;
	for (u32 y = 0; y < CELL_H * s; y++)
		for (u32 x = 0; x < CELL_W * s; x++) {
			u32 fy = y / s, fx = x / s;
			bool ink = fy < FONT_H && (font_row(c, fy) << fx & 0x80);
			u32 px = t->px[(u64)(row * CELL_H * s + y) * t->stride + col * CELL_W * s + x];
			if (px != (ink ? FG : BG))
				return false;
		}
	return true;
}

static void test_font_pictures(void **state)
{
	/* "..XXX..." and ".XXXXX.." are rows 0 and 3 of 'A'. */
	assert_int_equal(font_row('A', 0), 0x38);
	assert_int_equal(font_row('A', 3), 0x7c);
	assert_int_equal(font_row('A', 7), 0);
	assert_int_equal(font_row('g', 7), 0x38); /* a descender */
	assert_int_equal(font_row('A', 8), 0);    /* past the glyph */
	/* Bytes outside 32..126 draw as '?'. */
	for (unsigned r = 0; r < FONT_H; r++) {
		assert_int_equal(font_row('\x01', r), font_row('?', r));
		assert_int_equal(font_row('\xe9', r), font_row('?', r));
		assert_int_equal(font_row(' ', r), 0);
	}
	/* Every other glyph has ink, and no two are the same picture. */
	for (int a = 33; a < 127; a++) {
		u64 ga = 0;
		for (unsigned r = 0; r < FONT_H; r++)
			ga = ga << 8 | font_row((char)a, r);
		assert_true(ga != 0);
		for (int b = a + 1; b < 127; b++) {
			u64 gb = 0;
			for (unsigned r = 0; r < FONT_H; r++)
				gb = gb << 8 | font_row((char)b, r);
			if (ga == gb)
				fail_msg("'%c' and '%c' have the same glyph", a, b);
		}
	}
}

static u32 *buf(u32 w, u32 h)
{
	u32 *p = malloc(sizeof(u32) * w * h);
	for (u32 i = 0; i < w * h; i++)
		p[i] = 0xdeadbeef;
	return p;
}

static void test_init_clears_and_sizes(void **state)
{
	struct textcon t;
	u32 *p = buf(100, 45);
	assert_int_equal(textcon_init(&t, p, 100, 45, 100, 1, FG, BG), 0);
	assert_int_equal(t.cols, 12); /* 100 / 8 */
	assert_int_equal(t.rows, 4);  /* 45 / 10 */
	for (u32 i = 0; i < 100 * 45; i++)
		assert_int_equal(p[i], BG);
	u32 top, bottom;
	assert_true(textcon_take_dirty(&t, &top, &bottom));
	assert_int_equal(top, 0);
	assert_int_equal(bottom, 45);
	assert_false(textcon_take_dirty(&t, &top, &bottom));
	/* Too small for one cell, a stride below the width, scale 0. */
	assert_int_equal(textcon_init(&t, p, 7, 45, 7, 1, FG, BG), -1);
	assert_int_equal(textcon_init(&t, p, 100, 9, 100, 1, FG, BG), -1);
	assert_int_equal(textcon_init(&t, p, 100, 45, 99, 1, FG, BG), -1);
	assert_int_equal(textcon_init(&t, p, 100, 45, 100, 0, FG, BG), -1);
	free(p);
}

static void test_text_wrap_tab_dirty(void **state)
{
	struct textcon t;
	u32 *p = buf(24 + 5, 40); /* 3 columns, stride wider than the screen */
	assert_int_equal(textcon_init(&t, p, 24, 40, 29, 1, FG, BG), 0);
	u32 top, bottom;
	textcon_take_dirty(&t, &top, &bottom);
	textcon_write(&t, "ab", 2);
	assert_true(textcon_take_dirty(&t, &top, &bottom));
	assert_int_equal(top, 0);
	assert_int_equal(bottom, CELL_H);
	textcon_write(&t, "c\r\nde", 5);
	assert_true(cell_is(&t, 0, 0, 'a'));
	assert_true(cell_is(&t, 2, 0, 'c'));
	assert_true(cell_is(&t, 0, 1, 'd'));
	assert_true(cell_is(&t, 1, 1, 'e'));
	assert_true(cell_is(&t, 2, 1, ' '));
	textcon_take_dirty(&t, &top, &bottom);
	textcon_write(&t, "fg", 2); /* f fills the line, g wraps */
	assert_true(cell_is(&t, 2, 1, 'f'));
	assert_true(cell_is(&t, 0, 2, 'g'));
	assert_true(textcon_take_dirty(&t, &top, &bottom));
	assert_int_equal(top, CELL_H);
	assert_int_equal(bottom, 3 * CELL_H);
	/* The columns past the screen (stride padding) are never written. */
	for (u32 y = 0; y < 40; y++)
		for (u32 x = 24; x < 29; x++)
			assert_int_equal(p[y * 29 + x], 0xdeadbeef);
	free(p);

	/* A tab pads with blanks to the next multiple of 8. */
	p = buf(320, 10);
	assert_int_equal(textcon_init(&t, p, 320, 10, 320, 1, FG, BG), 0);
	textcon_write(&t, "x\ty\t\tz", 6);
	assert_true(cell_is(&t, 0, 0, 'x'));
	assert_true(cell_is(&t, 8, 0, 'y'));
	assert_true(cell_is(&t, 24, 0, 'z'));
	assert_int_equal(t.col, 25);
	free(p);
}

static void test_jump_scroll(void **state)
{
	struct textcon t;
	u32 *p = buf(16, 45); /* 2 columns, 4 rows, 5 spare pixel rows */
	assert_int_equal(textcon_init(&t, p, 16, 45, 16, 1, FG, BG), 0);
	textcon_write(&t, "1\n2\n3\n4", 7);
	assert_int_equal(t.row, 3);
	u32 top, bottom;
	textcon_take_dirty(&t, &top, &bottom);
	textcon_write(&t, "\n5", 2);
	/* Lines 3 and 4 moved to the top, 5 below them, the rest blank. */
	assert_true(cell_is(&t, 0, 0, '3'));
	assert_true(cell_is(&t, 0, 1, '4'));
	assert_true(cell_is(&t, 0, 2, '5'));
	assert_true(cell_is(&t, 0, 3, ' '));
	for (u32 y = 40; y < 45; y++)
		for (u32 x = 0; x < 16; x++)
			assert_int_equal(p[y * 16 + x], BG);
	assert_true(textcon_take_dirty(&t, &top, &bottom));
	assert_int_equal(top, 0);
	assert_int_equal(bottom, 45);
	/* A wrap at the last row scrolls too. */
	textcon_write(&t, "6\n78", 4);
	assert_true(cell_is(&t, 0, 3, '7'));
	assert_true(cell_is(&t, 1, 3, '8'));
	textcon_write(&t, "9", 1);
	assert_true(cell_is(&t, 0, 0, '5'));
	assert_true(cell_is(&t, 1, 0, '6'));
	assert_true(cell_is(&t, 0, 1, '7'));
	assert_true(cell_is(&t, 1, 1, '8'));
	assert_true(cell_is(&t, 0, 2, '9'));
	free(p);

	/* One row: every new line clears it. */
	p = buf(16, 10);
	assert_int_equal(textcon_init(&t, p, 16, 10, 16, 1, FG, BG), 0);
	textcon_write(&t, "ab\nc", 4);
	assert_true(cell_is(&t, 0, 0, 'c'));
	assert_true(cell_is(&t, 1, 0, ' '));
	free(p);
}

static void test_scale_two(void **state)
{
	struct textcon t;
	u32 *p = buf(40, 40);
	assert_int_equal(textcon_init(&t, p, 40, 40, 40, 2, FG, BG), 0);
	assert_int_equal(t.cols, 2);
	assert_int_equal(t.rows, 2);
	textcon_write(&t, "Hi", 2);
	assert_true(cell_is(&t, 0, 0, 'H'));
	assert_true(cell_is(&t, 1, 0, 'i'));
	/* 'H' row 0 is ".X...X..": pixels 2,3 and 10,11 of rows 0 and 1. */
	assert_int_equal(p[2], FG);
	assert_int_equal(p[40 + 3], FG);
	assert_int_equal(p[4], BG);
	assert_int_equal(p[10], FG);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_font_pictures),
		cmocka_unit_test(test_init_clears_and_sizes),
		cmocka_unit_test(test_text_wrap_tab_dirty),
		cmocka_unit_test(test_jump_scroll),
		cmocka_unit_test(test_scale_two),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
