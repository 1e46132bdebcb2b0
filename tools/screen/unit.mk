# build/screen-render: the hv's screen console renderer on the host, for
# tools/console-test.sh's expected picture.
SCREEN_RENDER_SRCS := tools/screen/render.c hv/screen/textcon.c hv/screen/font.c
$(B)/screen-render: $(SCREEN_RENDER_SRCS) hv/screen/textcon.h | $(B)
	$(call say,HOSTCC,$@)
	$(Q)$(HOSTCC) -std=gnu11 -O2 -Wall -Wextra -Werror -DFORMICA_HOST -Ihv/include -Ihv -o $@ \
		$(SCREEN_RENDER_SRCS)
all: $(B)/screen-render

# tools/console-test.sh (make test): PCI serial (serial = pci and auto) and
# the screen console against this renderer, in QEMU + OVMF; ~47 s.
ITESTS += tools/console-test.sh
