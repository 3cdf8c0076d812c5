#define _DEFAULT_SOURCE /* madvise's MADV_HUGEPAGE */
#include "core/alloc.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Thread-local, so that concurrent tests (and users) never interfere. */
static _Thread_local int64_t fail_at;   /* 0: never */
static _Thread_local int64_t allocations;

static int should_fail(void) {
    allocations++;
    return fail_at > 0 && allocations == fail_at;
}

int64_t us_test_fail_allocation(int64_t k) {
    int64_t made = allocations;
    allocations = 0;
    fail_at = k;
    return made;
}

void *us_malloc(size_t size) { return should_fail() ? NULL : malloc(size); }
void *us_calloc(size_t n, size_t size) { return should_fail() ? NULL : calloc(n, size); }
void *us_realloc(void *p, size_t size) { return should_fail() ? NULL : realloc(p, size); }

void *us_malloc_array(size_t n, size_t size) {
    if (size != 0 && n > US_MAX_ALLOC / size) return NULL;
    size_t bytes = n * size;
    return us_malloc(bytes ? bytes : 1);
}

void *us_calloc_array(size_t n, size_t size) {
    if (size != 0 && n > US_MAX_ALLOC / size) return NULL;
    return us_calloc(n ? n : 1, size ? size : 1);
}

#define US_HUGE_PAGE ((size_t)2 << 20)

void *us_malloc_large(size_t n, size_t size) {
    if (size != 0 && n > US_MAX_ALLOC / size) return NULL;
    const size_t bytes = n * size;
    if (bytes < US_HUGE_PAGE) return us_malloc(bytes ? bytes : 1);
    void *p = NULL;
    if (should_fail() || posix_memalign(&p, US_HUGE_PAGE, bytes) != 0) return NULL;
#ifdef MADV_HUGEPAGE
    /* only a hint: where THP is off or the call fails, 4 KiB pages serve */
    (void)madvise(p, bytes / US_HUGE_PAGE * US_HUGE_PAGE, MADV_HUGEPAGE);
#endif
    return p;
}

char *us_strdup(const char *s) {
    size_t len = strlen(s) + 1;
    char *copy = us_malloc(len);
    if (copy) memcpy(copy, s, len);
    return copy;
}

int us_mul_i64(int64_t a, int64_t b, int64_t *out) {
    if (a < 0 || b < 0) return 0;
    if (a != 0 && b > INT64_MAX / a) return 0;
    *out = a * b;
    return 1;
}
