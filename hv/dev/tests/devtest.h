/*
 * devtest.h - helpers shared by the device-model tests: an interrupt-line
 * recorder and one-byte port accessors that call a model's vdev_ops the
 * way the bus would.
 */
#ifndef FORMICA_DEV_TESTS_DEVTEST_H
#define FORMICA_DEV_TESTS_DEVTEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "dev/vdev.h"

/* Records the level of each of 16 lines and counts rising edges. */
struct irq_rec {
	int level[16];
	int rises[16];
};

static inline void irq_rec_set(void *ctx, unsigned irq, int level)
{
	struct irq_rec *r = ctx;
	assert_true(irq < 16);
	if (level && !r->level[irq])
		r->rises[irq]++;
	r->level[irq] = level;
}

static inline struct irq_line irq_rec_line(struct irq_rec *r, unsigned irq)
{
	struct irq_line l = { irq_rec_set, r, irq };
	return l;
}

static inline u8 in8(const struct vdev_ops *ops, void *dev, u16 port, u64 now)
{
	u32 v = 0xdeadbeef;
	assert_int_equal(ops->in(dev, port, 1, &v, now), 0);
	assert_true(v <= 0xff);
	return (u8)v;
}

static inline void out8(const struct vdev_ops *ops, void *dev, u16 port, u8 val, u64 now)
{
	assert_int_equal(ops->out(dev, port, 1, val, now), 0);
}

#endif
