/*
 * textcon.h - a text console drawn into a pixel buffer (pure).
 *
 * The hv mirrors its log on the screen the firmware set up (GOP).  This
 * core knows nothing of framebuffers: it draws characters with the font in
 * font.c into a plain array of 32-bit pixels and says which pixel rows it
 * changed, and the glue (hv/kernel/screen.c) copies those rows to the
 * framebuffer.  The same code renders the expected picture on the host
 * (tools/screen/render.c) that the QEMU test compares with a screendump.
 */
#ifndef FORMICA_TEXTCON_H
#define FORMICA_TEXTCON_H

#include "types.h"

#define FONT_W 8 /* glyph pixels (font.c) */
#define FONT_H 8
#define CELL_W 8  /* a character cell: the glyph ... */
#define CELL_H 10 /* ... and two blank rows between lines */

/* The hv's choices for a framebuffer (hv/kernel/screen.c), here so that the
 * host renderer makes the same ones.  Light grey on black: the same value
 * in RGBX and BGRX.  Past MAX_W x MAX_H only the top-left part is used (a
 * back buffer for a whole 4K screen would take 33 MB of the hv's heap);
 * from 1600 pixels across, the 8x8 glyphs are drawn twice as large. */
#define TEXTCON_FG 0x00c0c0c0
#define TEXTCON_BG 0x00000000
#define TEXTCON_MAX_W 1920
#define TEXTCON_MAX_H 1200
static inline u32 textcon_scale(u32 width) { return width >= 1600 ? 2 : 1; }

struct textcon {
	u32 *px;               /* pixel (x, y) is px[y * stride + x] */
	u32 width, height, stride;
	u32 scale;             /* each font pixel is scale x scale pixels */
	u32 cols, rows;        /* character cells on the screen */
	u32 col, row;          /* the cursor; col == cols: the line is full */
	u32 fg, bg;            /* pixel values, already in the buffer's format */
	u32 dirty_top, dirty_bottom; /* pixel rows [top, bottom) changed */
};

/* Clear the buffer to bg and put the cursor top left.  -1 if not even one
 * character cell fits (or scale is 0). */
int textcon_init(struct textcon *t, u32 *px, u32 width, u32 height, u32 stride, u32 scale,
		 u32 fg, u32 bg);

/* One character: printable ASCII is drawn ('?' for any other byte), '\n'
 * starts a line, '\r' is ignored, '\t' moves to the next multiple of 8.
 * A full line wraps.  A new line below the last one scrolls by half a
 * screen ("jump scroll"): the older half of the lines moves up and the
 * rest is cleared, so the costly whole-screen copy to a framebuffer
 * happens once per rows/2 lines, not once per line. */
void textcon_putc(struct textcon *t, char c);
void textcon_write(struct textcon *t, const char *s, size_t n);

/* The pixel rows changed since the last call: true and [*top, *bottom),
 * or false if none.  Resets the record. */
bool textcon_take_dirty(struct textcon *t, u32 *top, u32 *bottom);

/* Row `row` (0..7) of character c's glyph, bit 7 the leftmost pixel (font.c). */
u8 font_row(char c, unsigned row);

#endif
