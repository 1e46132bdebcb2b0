/*
 * render.c - draw text the way the hv's screen console does, on the host.
 *
 *   build/screen-render WIDTH HEIGHT < text > picture.ppm
 *
 * The text is what the hv wrote to its console (its serial log; CRs are
 * ignored as on the screen), WIDTH x HEIGHT the framebuffer's mode.  The
 * picture is a binary PPM (P6) in the form QEMU's `screendump` writes, so
 * tools/console-test.sh can compare the two byte for byte.  It uses the
 * hv's own renderer (hv/screen/textcon.c) and choices (textcon.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "types.h"
#include "screen/textcon.h"

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s WIDTH HEIGHT < text > picture.ppm\n", argv[0]);
		return 2;
	}
	u32 fw = (u32)atoi(argv[1]), fh = (u32)atoi(argv[2]);
	u32 w = fw < TEXTCON_MAX_W ? fw : TEXTCON_MAX_W;
	u32 h = fh < TEXTCON_MAX_H ? fh : TEXTCON_MAX_H;
	u32 *px = calloc((size_t)w * h, sizeof(u32));
	struct textcon t;
	if (!px || textcon_init(&t, px, w, h, w, textcon_scale(w), TEXTCON_FG, TEXTCON_BG) < 0) {
		fprintf(stderr, "%s: %ux%u: no room for text\n", argv[0], fw, fh);
		return 1;
	}
	int c;
	while ((c = getchar()) != EOF)
		textcon_putc(&t, (char)c);
	printf("P6\n%u %u\n255\n", fw, fh);
	for (u32 y = 0; y < fh; y++)
		for (u32 x = 0; x < fw; x++) {
			/* 0x00RRGGBB as the glue's grey is: R, G, B bytes. */
			u32 v = x < w && y < h ? px[(size_t)y * w + x] : TEXTCON_BG;
			putchar((v >> 16) & 0xff);
			putchar((v >> 8) & 0xff);
			putchar(v & 0xff);
		}
	free(px);
	return 0;
}
