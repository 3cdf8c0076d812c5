/* Scratch buffers (core/scratch.h): reuse by size, limits, per-thread
 * ownership, release at thread exit (ASan/LSan and valgrind runs report a
 * leak if that fails); and large buffers (core/alloc.h). */
#include <pthread.h>
#include <sys/resource.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/scratch.h"
#include "support/test_support.h"

static void reuses_a_fitting_block(void **state) {
    (void)state;
    float *a = us_scratch_get(1000, sizeof(float));
    assert_non_null(a);
    memset(a, 0, 1000 * sizeof(float)); /* the whole request is usable */
    us_scratch_put(a);
    float *b = us_scratch_get(900, sizeof(float)); /* fits */
    assert_ptr_equal(a, b);
    us_scratch_put(b);
    /* 10x too big still serves: a kept block is idle memory either way,
     * and a fresh block costs page faults (a forward pass of Unet at
     * 256x256 made ~37 a pass and ran 1.6x slower once glibc trimmed
     * its heap; docs/PERFORMANCE.md) */
    float *c = us_scratch_get(100, sizeof(float));
    assert_ptr_equal(a, c);
    float *d = us_scratch_get(2000, sizeof(float)); /* none kept fits: a new block */
    assert_non_null(d);
    assert_ptr_not_equal(a, d);
    us_scratch_put(c);
    us_scratch_put(d);
    /* of two that fit, the smaller */
    float *e = us_scratch_get(10, sizeof(float));
    assert_ptr_equal(e, a);
    float *f = us_scratch_get(1500, sizeof(float));
    assert_ptr_equal(f, d);
    us_scratch_put(e);
    us_scratch_put(f);
    us_scratch_put(NULL); /* ignored */
}

static void keeps_the_largest_blocks(void **state) {
    (void)state;
    void *p[US_SCRATCH_KEEP + 1];
    for (int i = 0; i <= US_SCRATCH_KEEP; i++) p[i] = us_scratch_get((size_t)(i + 1) * 4096, 1);
    for (int i = 0; i <= US_SCRATCH_KEEP; i++) us_scratch_put(p[i]);
    /* the smallest (4096 bytes) was freed; the largest is still kept */
    void *big = us_scratch_get((size_t)(US_SCRATCH_KEEP + 1) * 4096, 1);
    assert_ptr_equal(big, p[US_SCRATCH_KEEP]);
    us_scratch_put(big);
}

static void refuses_overflow_and_reports_failure(void **state) {
    (void)state;
    assert_null(us_scratch_get(SIZE_MAX / 2, 4));
    assert_null(us_scratch_get(US_MAX_ALLOC, 2));
    us_test_fail_allocation(1);
    assert_null(us_scratch_get((size_t)1 << 30, 1)); /* nothing kept that big: the allocation fails */
    us_test_fail_allocation(0);
}

/* us_malloc_large: from 2 MiB up on a 2 MiB boundary (the huge-page hint
 * needs whole aligned pages), smaller ones from malloc; usable to the last
 * byte and freed with free(); overflow and an injected failure give NULL. */
static void large_buffers_align_and_fail_cleanly(void **state) {
    (void)state;
    const size_t huge = (size_t)2 << 20;
    unsigned char *big = us_malloc_large(huge + 12345, 1), *small = us_malloc_large(1000, 4);
    assert_non_null(big);
    assert_non_null(small);
    assert_int_equal((uintptr_t)big % huge, 0);
    memset(big, 7, huge + 12345);
    memset(small, 7, 4000);
    assert_int_equal(big[huge + 12344], 7);
    free(big);
    free(small);
    assert_null(us_malloc_large(SIZE_MAX / 2, 4));
    assert_null(us_malloc_large(US_MAX_ALLOC, 2));
    us_test_fail_allocation(1);
    assert_null(us_malloc_large(huge * 3, 1));
    us_test_fail_allocation(0);
}

static void *keep_and_exit(void *arg) {
    (void)arg;
    us_scratch_put(us_scratch_get(1 << 20, 1));
    us_scratch_put(us_scratch_get(1 << 16, 1));
    return NULL;
}

/* Freed when the thread exits: the leak checkers of check-asan and
 * check-valgrind would report the two blocks otherwise. */
static void thread_exit_frees(void **state) {
    (void)state;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, keep_and_exit, NULL), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
}

/* A forward pass after the first two (which make the activation buffers
 * and the kept kernels) maps no fresh pages: every temporary of its
 * convolutions comes from the thread's kept buffers. With a malloc and
 * free per call, wherever glibc had trimmed its heap (its default state:
 * this process never frees a large block), they were faulted back in on
 * every pass, a pass of Unet('resnet34') at 256x256 1.6x slower. One
 * thread; `ru_minflt` counts the process's minor page faults. */
static void steady_passes_map_no_fresh_pages(void **state) {
    (void)state;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    skip(); /* their allocators map fresh memory for every malloc (quarantine) */
#endif
    const char *preload = getenv("LD_PRELOAD");
    if (preload && strstr(preload, "valgrind")) skip(); /* valgrind's malloc, likewise */
    unetseg_unet_options *o = NULL;
    unetseg_model *m = NULL;
    assert_ok(unetseg_unet_options_create(&o));
    assert_ok(unetseg_unet_options_set_input_shape(o, 128, 128, 3));
    assert_ok(unetseg_unet_create(o, &m));
    unetseg_unet_options_free(o);
    assert_ok(unetseg_model_set_threads(m, 1));
    int64_t shape[4] = {1, 128, 128, 3};
    unetseg_tensor *x = NULL, *y = NULL;
    assert_ok(unetseg_tensor_create(4, shape, &x));
    for (int64_t i = 0; i < 128 * 128 * 3; i++) unetseg_tensor_data(x)[i] = (float)(i * 37 % 256);
    for (int pass = 0; pass < 4; pass++) {
        struct rusage before, after;
        getrusage(RUSAGE_SELF, &before);
        assert_ok(unetseg_model_forward(m, x, &y));
        unetseg_tensor_free(y);
        y = NULL;
        getrusage(RUSAGE_SELF, &after);
        const long faults = after.ru_minflt - before.ru_minflt;
        print_message("pass %d: %ld page faults\n", pass + 1, faults);
        if (pass >= 2) assert_true(faults <= 8);
    }
    unetseg_tensor_free(x);
    unetseg_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(reuses_a_fitting_block),
                                       cmocka_unit_test(keeps_the_largest_blocks),
                                       cmocka_unit_test(refuses_overflow_and_reports_failure),
                                       cmocka_unit_test(large_buffers_align_and_fail_cleanly),
                                       cmocka_unit_test(thread_exit_frees),
                                       cmocka_unit_test(steady_passes_map_no_fresh_pages)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
