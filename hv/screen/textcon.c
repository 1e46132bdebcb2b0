/*
 * textcon.c - a scrolling text console in a pixel buffer (pure).
 *
 * A character cell is CELL_W x CELL_H font pixels, each drawn as a
 * scale x scale square, so a large screen can have readable text from the
 * 8x8 font.  Every cell is drawn whole (glyph and paper), so writing a
 * character never depends on what was there before: the picture is a pure
 * function of the text written, which is what lets the QEMU test compare a
 * screendump with a picture rendered on the host from the serial log.
 */
#include "types.h"
#include "string.h"
#include "screen/textcon.h"

static void mark_dirty(struct textcon *t, u32 top, u32 bottom)
{
	if (t->dirty_top >= t->dirty_bottom) {
		t->dirty_top = top;
		t->dirty_bottom = bottom;
		return;
	}
	if (top < t->dirty_top)
		t->dirty_top = top;
	if (bottom > t->dirty_bottom)
		t->dirty_bottom = bottom;
}

static void fill_rows(struct textcon *t, u32 top, u32 bottom)
{
	for (u32 y = top; y < bottom; y++)
		for (u32 x = 0; x < t->width; x++)
			t->px[(u64)y * t->stride + x] = t->bg;
	mark_dirty(t, top, bottom);
}

int textcon_init(struct textcon *t, u32 *px, u32 width, u32 height, u32 stride, u32 scale,
		 u32 fg, u32 bg)
{
	if (scale == 0 || stride < width || width < CELL_W * scale || height < CELL_H * scale)
		return -1;
	*t = (struct textcon){
		.px = px, .width = width, .height = height, .stride = stride, .scale = scale,
		.cols = width / (CELL_W * scale), .rows = height / (CELL_H * scale),
		.fg = fg, .bg = bg,
	};
	fill_rows(t, 0, height);
	return 0;
}

static void draw_cell(struct textcon *t, u32 col, u32 row, char c)
{
	u32 s = t->scale, x0 = col * CELL_W * s, y0 = row * CELL_H * s;
	for (u32 fy = 0; fy < CELL_H; fy++) {
		u8 bits = fy < FONT_H ? font_row(c, fy) : 0;
		for (u32 sy = 0; sy < s; sy++) {
			u32 *line = t->px + (u64)(y0 + fy * s + sy) * t->stride + x0;
			for (u32 fx = 0; fx < CELL_W; fx++) {
				u32 v = (bits << fx) & 0x80 ? t->fg : t->bg;
				for (u32 sx = 0; sx < s; sx++)
					line[fx * s + sx] = v;
			}
		}
	}
	mark_dirty(t, y0, y0 + CELL_H * s);
}

static void newline(struct textcon *t)
{
	t->col = 0;
	if (t->row + 1 < t->rows) {
		t->row++;
		return;
	}
	u32 keep = t->rows / 2, line_px = CELL_H * t->scale;
	u32 from = (t->rows - keep) * line_px;
	if (keep)
		memmove(t->px, t->px + (u64)from * t->stride,
			(size_t)keep * line_px * t->stride * sizeof(u32));
	fill_rows(t, keep * line_px, t->height);
	mark_dirty(t, 0, t->height);
	t->row = keep;
}

void textcon_putc(struct textcon *t, char c)
{
	switch (c) {
	case '\n':
		newline(t);
		return;
	case '\r':
		return;
	case '\t':
		do
			textcon_putc(t, ' ');
		while (t->col % 8 && t->col < t->cols);
		return;
	}
	if (t->col == t->cols)
		newline(t);
	draw_cell(t, t->col, t->row, c);
	t->col++;
}

void textcon_write(struct textcon *t, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		textcon_putc(t, s[i]);
}

bool textcon_take_dirty(struct textcon *t, u32 *top, u32 *bottom)
{
	if (t->dirty_top >= t->dirty_bottom)
		return false;
	*top = t->dirty_top;
	*bottom = t->dirty_bottom;
	t->dirty_top = t->dirty_bottom = 0;
	return true;
}
