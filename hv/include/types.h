/*
 * types.h - the few integer types every Formica file uses.
 *
 * Formica's pure cores (walker, decoder, device models, scheduler...) are
 * compiled twice: freestanding into the hypervisor, and with the host libc
 * into cmocka unit tests.  Only compiler-provided headers are included here
 * (stdint/stddef/stdbool exist even with -ffreestanding), so this file is
 * safe in both worlds.
 */
#ifndef FORMICA_TYPES_H
#define FORMICA_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t i8;
typedef int16_t i16;
typedef int32_t i32;
typedef int64_t i64;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BIT(n) (1ull << (n))
#define ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((u64)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((u64)(a) - 1))
#define PAGE_SIZE 4096ull
#define PAGE_SHIFT 12

#endif
