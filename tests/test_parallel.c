/* Sharing work among threads (core/parallel.h): us_share hands each part
 * its own contiguous share first, in order, then what is left of the
 * others'; every item goes to exactly one part, also when parts take at
 * once; us_parallel_rows covers every row once. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/parallel.h"
#include "support/test_support.h"

/* One part alone: its share in order, then the next part's, and so on
 * round the parts, then -1 (and -1 again). */
static void one_part_takes_own_share_then_the_others(void **state) {
    (void)state;
    us_share s;
    us_share_init(&s, 10, 3); /* shares [0, 3), [3, 6), [6, 10) */
    const int64_t expect[] = {3, 4, 5, 6, 7, 8, 9, 0, 1, 2};
    for (int i = 0; i < 10; i++) assert_int_equal(us_share_take(&s, 1), expect[i]);
    assert_int_equal(us_share_take(&s, 1), -1);
    assert_int_equal(us_share_take(&s, 0), -1);
    assert_int_equal(us_share_take(&s, 2), -1);
}

/* Parts taking in turn: each item goes to one part, and a part takes its
 * own share's items in order and before any of the others' (part p's
 * share is [n p / parts, n (p + 1) / parts)). */
static void parts_in_turn_take_own_share_first(void **state) {
    (void)state;
    for (int32_t parts = 1; parts <= US_MAX_PARTS; parts += 7) {
        for (int64_t n = 0; n <= 200; n += 13) {
            us_share s;
            us_share_init(&s, n, parts);
            char *taken = calloc((size_t)n + 1, 1);
            assert_non_null(taken);
            int64_t count = 0, last_own[US_MAX_PARTS];
            int stole[US_MAX_PARTS] = {0};
            for (int32_t p = 0; p < parts; p++) last_own[p] = -1;
            for (int progress = 1; progress;) {
                progress = 0;
                for (int32_t p = 0; p < parts; p++) {
                    const int64_t item = us_share_take(&s, p);
                    if (item < 0) continue;
                    progress = 1;
                    assert_true(item < n);
                    assert_false(taken[item]); /* never twice */
                    taken[item] = 1;
                    count++;
                    if (item >= n * p / parts && item < n * (p + 1) / parts) {
                        assert_false(stole[p]);
                        assert_true(item > last_own[p]);
                        last_own[p] = item;
                    } else {
                        stole[p] = 1;
                    }
                }
            }
            assert_int_equal(count, n);
            free(taken);
        }
    }
}

typedef struct race {
    us_share share;
    _Atomic int32_t hits[4096];
} race;

static void take_all(void *arg, int32_t part, int32_t parts) {
    race *r = arg;
    (void)parts;
    for (int64_t i; (i = us_share_take(&r->share, part)) >= 0;) atomic_fetch_add(&r->hits[i], 1);
}

/* Parts on threads of their own, taking at once: each item exactly once. */
static void concurrent_parts_take_each_item_once(void **state) {
    (void)state;
    race *r = calloc(1, sizeof *r);
    assert_non_null(r);
    for (int32_t parts = 1; parts <= 8; parts++) {
        for (int32_t rep = 0; rep < 20; rep++) {
            const int64_t n = 4096 - rep * 97;
            memset(r->hits, 0, sizeof r->hits);
            us_share_init(&r->share, n, parts);
            us_parallel_run(parts, take_all, r);
            for (int64_t i = 0; i < 4096; i++) assert_int_equal(r->hits[i], i < n ? 1 : 0);
        }
    }
    free(r);
}

static void count_rows(void *arg, int64_t lo, int64_t hi) {
    _Atomic int32_t *hits = arg;
    for (int64_t i = lo; i < hi; i++) atomic_fetch_add(&hits[i], 1);
}

/* us_parallel_rows on 1 to 4 threads, rows in few and many bands. */
static void parallel_rows_cover_each_row_once(void **state) {
    (void)state;
    enum { ROWS = 5000 };
    _Atomic int32_t *hits = calloc(ROWS, sizeof *hits);
    assert_non_null(hits);
    for (int32_t threads = 1; threads <= 4; threads++) {
        us_parallel_set_threads(threads);
        const int64_t row_floats[] = {1, 64, 16384};
        for (int k = 0; k < 3; k++) {
            for (int64_t i = 0; i < ROWS; i++) hits[i] = 0;
            us_parallel_rows(ROWS, row_floats[k], count_rows, hits);
            for (int64_t i = 0; i < ROWS; i++) assert_int_equal(hits[i], 1);
        }
    }
    us_parallel_set_threads(1);
    free(hits);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_part_takes_own_share_then_the_others),
        cmocka_unit_test(parts_in_turn_take_own_share_first),
        cmocka_unit_test(concurrent_parts_take_each_item_once),
        cmocka_unit_test(parallel_rows_cover_each_row_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
