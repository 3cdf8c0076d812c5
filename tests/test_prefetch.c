/* The CLI's prefetcher (examples/cli/prefetch.c): items in order whatever
 * the depth and the timing, a bounded queue, a failed item handed out at its
 * turn with nothing made after it, and a stop at any point that neither
 * hangs nor leaks: every item made is freed once, by the caller or by the
 * prefetcher (this test also runs under ASan and TSan). */
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "support/test_support.h"
#include "prefetch.h"

typedef struct job {
    long fail_at; /* this item fails (-1: none) */
    atomic_long made, freed;
} job;

/* Item k: {k, -k}, and the job that counts its freeing. */
typedef struct item {
    long x, y;
    job *j;
} item;

static void drop(void *p) {
    item *it = p;
    atomic_fetch_add(&it->j->freed, 1);
    free(it);
}

/* The next item's x and y (freed here), or its status. */
static int32_t next(prefetch *p, long *x, long *y) {
    void *got = (void *)1;
    int32_t st = prefetch_next(p, &got);
    if (st) {
        assert_null(got);
        return st;
    }
    item *it = got;
    *x = it->x, *y = it->y;
    drop(it);
    return st;
}

static void pause_us(long us) {
    struct timespec ts = {0, us * 1000};
    nanosleep(&ts, NULL);
}

/* Item k: x = k, y = -k; uneven times shake the thread's timing. */
static int32_t make(void *ctx, long k, void **out) {
    job *j = ctx;
    atomic_fetch_add(&j->made, 1);
    pause_us(k % 3 * 300);
    item *it = malloc(sizeof *it);
    if (!it) return UNETSEG_E_NOMEM;
    *it = (item){k, -k, j};
    *out = it;
    return k == j->fail_at ? UNETSEG_E_IO : UNETSEG_OK; /* made: the prefetcher frees it */
}

static void in_order(void **state) {
    (void)state;
    for (int depth = 0; depth <= 4; depth++) {
        job j = {.fail_at = -1};
        prefetch *p = NULL;
        assert_ok(prefetch_start(&p, 20, depth, make, drop, &j));
        for (long k = 0; k < 20; k++) {
            long x = -1, y = -1;
            assert_ok(next(p, &x, &y));
            assert_true(x == k && y == -k);
            if (k % 5 == 0) pause_us(500); /* the consumer slower now and then */
        }
        long x, y;
        assert_int_equal(next(p, &x, &y), UNETSEG_E_STATE); /* past the last */
        prefetch_stop(p);
        assert_int_equal(atomic_load(&j.made), 20);
        assert_int_equal(atomic_load(&j.freed), 20);
    }
}

static void failure_at_its_turn(void **state) {
    (void)state;
    for (int depth = 0; depth <= 3; depth++) {
        job j = {.fail_at = 5};
        prefetch *p = NULL;
        assert_ok(prefetch_start(&p, 50, depth, make, drop, &j));
        for (long k = 0; k < 5; k++) {
            long x = -1, y;
            assert_ok(next(p, &x, &y));
            assert_true(x == k);
        }
        long x, y;
        assert_int_equal(next(p, &x, &y), UNETSEG_E_IO); /* the item is NULL (checked in next) */
        assert_int_equal(next(p, &x, &y), UNETSEG_E_STATE); /* nothing after it */
        pause_us(2000);
        assert_int_equal(atomic_load(&j.made), 6); /* and nothing made after it */
        prefetch_stop(p);
        assert_int_equal(atomic_load(&j.freed), 6); /* the failed item freed by the prefetcher */
    }
}

/* At most `depth` made items wait: the thread holds still until one is taken. */
static void bounded(void **state) {
    (void)state;
    job j = {.fail_at = -1};
    prefetch *p = NULL;
    assert_ok(prefetch_start(&p, 1000, 2, make, drop, &j));
    for (int i = 0; i < 2000 && atomic_load(&j.made) < 2; i++) pause_us(500);
    pause_us(20000);
    assert_int_equal(atomic_load(&j.made), 2);
    long x, y;
    assert_ok(next(p, &x, &y));
    for (int i = 0; i < 2000 && atomic_load(&j.made) < 3; i++) pause_us(500);
    pause_us(20000);
    assert_int_equal(atomic_load(&j.made), 3);
    prefetch_stop(p); /* early: 997 items never made, 2 made and not taken freed */
    assert_int_equal(atomic_load(&j.freed), 3);
}

static void stop_anywhere(void **state) {
    (void)state;
    for (int depth = 0; depth <= 3; depth++)
        for (long taken = 0; taken <= 3; taken++) {
            job j = {.fail_at = -1};
            prefetch *p = NULL;
            assert_ok(prefetch_start(&p, 1000, depth, make, drop, &j));
            for (long k = 0; k < taken; k++) {
                long x, y;
                assert_ok(next(p, &x, &y));
            }
            prefetch_stop(p);
            assert_true(atomic_load(&j.made) <= taken + depth + 1);
            assert_int_equal(atomic_load(&j.freed), atomic_load(&j.made));
        }
    prefetch_stop(NULL);
    job j = {.fail_at = -1};
    prefetch *p = NULL;
    assert_ok(prefetch_start(&p, 0, 2, make, drop, &j)); /* an empty pass */
    long x, y;
    assert_int_equal(next(p, &x, &y), UNETSEG_E_STATE);
    prefetch_stop(p);
}

static void refusals(void **state) {
    (void)state;
    job j = {.fail_at = -1};
    prefetch *p = (prefetch *)&j;
    void *got = NULL;
    assert_int_equal(prefetch_start(NULL, 1, 1, make, drop, &j), UNETSEG_E_INVALID_ARG);
    assert_int_equal(prefetch_start(&p, 1, PREFETCH_MAX_DEPTH + 1, make, drop, &j), UNETSEG_E_INVALID_ARG);
    assert_null(p);
    assert_int_equal(prefetch_start(&p, 1, -1, make, drop, &j), UNETSEG_E_INVALID_ARG);
    assert_int_equal(prefetch_start(&p, -1, 1, make, drop, &j), UNETSEG_E_INVALID_ARG);
    assert_int_equal(prefetch_start(&p, 1, 1, NULL, drop, &j), UNETSEG_E_INVALID_ARG);
    assert_int_equal(prefetch_start(&p, 1, 1, make, NULL, &j), UNETSEG_E_INVALID_ARG);
    assert_int_equal(prefetch_next(NULL, &got), UNETSEG_E_INVALID_ARG);
    assert_ok(prefetch_start(&p, 1, 1, make, drop, &j));
    assert_int_equal(prefetch_next(p, NULL), UNETSEG_E_INVALID_ARG);
    prefetch_stop(p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(in_order),
        cmocka_unit_test(failure_at_its_turn),
        cmocka_unit_test(bounded),
        cmocka_unit_test(stop_anywhere),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
