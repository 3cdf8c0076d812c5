/* Shared helpers for the CMocka tests (not part of the library). */
#ifndef US_TEST_SUPPORT_H
#define US_TEST_SUPPORT_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unetseg.h"

/* Assert a call returned `expected`; on mismatch print unetseg_last_error(). */
#define assert_status(call, expected)                                              \
    do {                                                                           \
        int32_t st_ = (call);                                                      \
        if (st_ != (expected))                                                     \
            print_error("status %d (%s), expected %d; last error: %s\n", st_,      \
                        unetseg_status_string(st_), (int)(expected),               \
                        unetseg_last_error());                                     \
        assert_int_equal(st_, (expected));                                         \
    } while (0)
#define assert_ok(call) assert_status((call), UNETSEG_OK)

/* Assert unetseg_last_error() contains `needle`. */
void assert_error_mentions(const char *needle);

/* Create a tensor of the given NHWC shape filled with values[i] (or zeros if
 * values is NULL); fails the test on error. */
unetseg_tensor *make_tensor4(int64_t n, int64_t h, int64_t w, int64_t c, const float *values);

#endif
