/* The CLI's batch prefetcher (examples/cli/prefetch.c): batches in order
 * whatever the depth and the timing, a bounded queue, a failed batch handed
 * out at its turn with nothing made after it, and a stop at any point that
 * neither hangs nor leaks (this test also runs under ASan and TSan). */
#include <stdatomic.h>
#include <time.h>

#include "support/test_support.h"
#include "prefetch.h"

typedef struct job {
    long fail_at; /* this batch fails (-1: none) */
    atomic_long made;
} job;

static void pause_us(long us) {
    struct timespec ts = {0, us * 1000};
    nanosleep(&ts, NULL);
}

/* Batch k: x = [k], y = [-k]; uneven times shake the thread's timing. */
static int32_t make(void *ctx, long k, unetseg_tensor **x, unetseg_tensor **y) {
    job *j = ctx;
    atomic_fetch_add(&j->made, 1);
    pause_us(k % 3 * 300);
    const int64_t shape[4] = {1, 1, 1, 1};
    int32_t st = unetseg_tensor_create(4, shape, x);
    if (st) return st;
    unetseg_tensor_data(*x)[0] = (float)k;
    if (k == j->fail_at) return UNETSEG_E_IO; /* *x made: the prefetcher frees it */
    st = unetseg_tensor_create(4, shape, y);
    if (!st) unetseg_tensor_data(*y)[0] = (float)-k;
    return st;
}

static void in_order(void **state) {
    (void)state;
    for (int depth = 0; depth <= 4; depth++) {
        job j = {.fail_at = -1};
        prefetch *p = NULL;
        assert_ok(prefetch_start(&p, 20, depth, make, &j));
        for (long k = 0; k < 20; k++) {
            unetseg_tensor *x = NULL, *y = NULL;
            assert_ok(prefetch_next(p, &x, &y));
            assert_true(unetseg_tensor_data(x)[0] == (float)k && unetseg_tensor_data(y)[0] == (float)-k);
            unetseg_tensor_free(x);
            unetseg_tensor_free(y);
            if (k % 5 == 0) pause_us(500); /* the consumer slower now and then */
        }
        unetseg_tensor *x = NULL, *y = NULL;
        assert_int_equal(prefetch_next(p, &x, &y), UNETSEG_E_STATE); /* past the last */
        assert_null(x);
        prefetch_stop(p);
        assert_int_equal(atomic_load(&j.made), 20);
    }
}

static void failure_at_its_turn(void **state) {
    (void)state;
    for (int depth = 0; depth <= 3; depth++) {
        job j = {.fail_at = 5};
        prefetch *p = NULL;
        assert_ok(prefetch_start(&p, 50, depth, make, &j));
        for (long k = 0; k < 5; k++) {
            unetseg_tensor *x = NULL, *y = NULL;
            assert_ok(prefetch_next(p, &x, &y));
            assert_true(unetseg_tensor_data(x)[0] == (float)k);
            unetseg_tensor_free(x);
            unetseg_tensor_free(y);
        }
        unetseg_tensor *x = NULL, *y = NULL;
        assert_int_equal(prefetch_next(p, &x, &y), UNETSEG_E_IO);
        assert_null(x);
        assert_null(y);
        assert_int_equal(prefetch_next(p, &x, &y), UNETSEG_E_STATE); /* nothing after it */
        pause_us(2000);
        assert_int_equal(atomic_load(&j.made), 6); /* and nothing made after it */
        prefetch_stop(p);
    }
}

/* At most `depth` made batches wait: the thread holds still until one is taken. */
static void bounded(void **state) {
    (void)state;
    job j = {.fail_at = -1};
    prefetch *p = NULL;
    assert_ok(prefetch_start(&p, 1000, 2, make, &j));
    for (int i = 0; i < 2000 && atomic_load(&j.made) < 2; i++) pause_us(500);
    pause_us(20000);
    assert_int_equal(atomic_load(&j.made), 2);
    unetseg_tensor *x = NULL, *y = NULL;
    assert_ok(prefetch_next(p, &x, &y));
    unetseg_tensor_free(x);
    unetseg_tensor_free(y);
    for (int i = 0; i < 2000 && atomic_load(&j.made) < 3; i++) pause_us(500);
    pause_us(20000);
    assert_int_equal(atomic_load(&j.made), 3);
    prefetch_stop(p); /* early: 997 batches never made, 2 made and not taken freed */
}

static void stop_anywhere(void **state) {
    (void)state;
    for (int depth = 0; depth <= 3; depth++)
        for (long taken = 0; taken <= 3; taken++) {
            job j = {.fail_at = -1};
            prefetch *p = NULL;
            assert_ok(prefetch_start(&p, 1000, depth, make, &j));
            for (long k = 0; k < taken; k++) {
                unetseg_tensor *x = NULL, *y = NULL;
                assert_ok(prefetch_next(p, &x, &y));
                unetseg_tensor_free(x);
                unetseg_tensor_free(y);
            }
            prefetch_stop(p);
            assert_true(atomic_load(&j.made) <= taken + depth + 1);
        }
    prefetch_stop(NULL);
    job j = {.fail_at = -1};
    prefetch *p = NULL;
    assert_ok(prefetch_start(&p, 0, 2, make, &j)); /* an empty pass */
    unetseg_tensor *x = NULL, *y = NULL;
    assert_int_equal(prefetch_next(p, &x, &y), UNETSEG_E_STATE);
    prefetch_stop(p);
}

static void refusals(void **state) {
    (void)state;
    job j = {.fail_at = -1};
    prefetch *p = (prefetch *)&j;
    unetseg_tensor *x = NULL, *y = NULL;
    assert_int_equal(prefetch_start(NULL, 1, 1, make, &j), UNETSEG_E_INVALID_ARG);
    assert_int_equal(prefetch_start(&p, 1, PREFETCH_MAX_DEPTH + 1, make, &j), UNETSEG_E_INVALID_ARG);
    assert_null(p);
    assert_int_equal(prefetch_start(&p, 1, -1, make, &j), UNETSEG_E_INVALID_ARG);
    assert_int_equal(prefetch_start(&p, -1, 1, make, &j), UNETSEG_E_INVALID_ARG);
    assert_int_equal(prefetch_start(&p, 1, 1, NULL, &j), UNETSEG_E_INVALID_ARG);
    assert_int_equal(prefetch_next(NULL, &x, &y), UNETSEG_E_INVALID_ARG);
    assert_ok(prefetch_start(&p, 1, 1, make, &j));
    assert_int_equal(prefetch_next(p, NULL, &y), UNETSEG_E_INVALID_ARG);
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
