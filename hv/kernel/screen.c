/*
 * screen.c - the screen console: the log as text on the GOP framebuffer
 * (glue around hv/screen/textcon.c).
 *
 * For a machine with no serial port at all, the screen is the only place
 * the person at the console can read what happened.  boot/ passes the
 * framebuffer the firmware set up (base, size, pitch, pixel format); after
 * ExitBootServices nobody else draws there, so the hv simply owns it.
 * textcon.c draws into a back buffer in RAM and this file copies the pixel
 * rows that changed to the framebuffer: framebuffers are mapped uncached
 * (hv/kernel/hvpaging.c), where reads are very slow, so we never read one
 * (a scroll is a memmove in RAM) and write each changed row once.
 */
#include "handoff.h"
#include "kprintf.h"
#include "pmm.h"
#include "screen.h"
#include "string.h"
#include "screen/textcon.h"


static struct textcon tc;
static bool on;
static u8 *fb;
static u32 fb_pitch;

bool screen_init(const struct handoff *h)
{
	if (!h->cfg.screen) {
		kprintf("screen: off (formica.cfg screen = off)\n");
		return false;
	}
	if (!h->fb_base) {
		kprintf("screen: no GOP framebuffer from the loader; no screen console\n");
		return false;
	}
	extern u64 mapped_top; /* hv/kernel/hvpaging.c */
	if (h->fb_base + (u64)h->fb_height * h->fb_pitch > mapped_top) {
		kprintf("screen: framebuffer at 0x%lx is beyond the hv's map; no screen console\n",
			h->fb_base);
		return false;
	}
	u32 w = h->fb_width < TEXTCON_MAX_W ? h->fb_width : TEXTCON_MAX_W;
	u32 ht = h->fb_height < TEXTCON_MAX_H ? h->fb_height : TEXTCON_MAX_H;
	u64 bytes = (u64)w * ht * sizeof(u32);
	if (pmm_free_bytes() < bytes + (32u << 20)) {
		kprintf("screen: no room for a %lu KiB back buffer; no screen console\n",
			bytes / 1024);
		return false;
	}
	u32 *back = pmm_alloc_pages(ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE);
	if (textcon_init(&tc, back, w, ht, w, textcon_scale(w), TEXTCON_FG, TEXTCON_BG) < 0) {
		kprintf("screen: %ux%u is too small for text\n", h->fb_width, h->fb_height);
		return false;
	}
	fb = (u8 *)h->fb_base;
	fb_pitch = h->fb_pitch;
	/* Said before `on`: the caller replays the whole log, this line too. */
	kprintf("screen: %ux%u framebuffer at 0x%lx (%s), %ux%u characters\n", h->fb_width,
		h->fb_height, h->fb_base, h->fb_format == HFB_RGBX ? "RGBX" : "BGRX", tc.cols,
		tc.rows);
	on = true;
	return true;
}

void screen_putc(char c)
{
	if (on)
		textcon_putc(&tc, c);
}

void screen_sync(void)
{
	u32 top, bottom;
	if (!on || !textcon_take_dirty(&tc, &top, &bottom))
		return;
	for (u32 y = top; y < bottom; y++)
		memcpy(fb + (u64)y * fb_pitch, tc.px + (u64)y * tc.stride, tc.width * sizeof(u32));
}
