#include "core/alloc.h"

#include <stdlib.h>
#include <string.h>

void *us_malloc_array(size_t n, size_t size) {
    if (size != 0 && n > US_MAX_ALLOC / size) return NULL;
    size_t bytes = n * size;
    return malloc(bytes ? bytes : 1);
}

void *us_calloc_array(size_t n, size_t size) {
    if (size != 0 && n > US_MAX_ALLOC / size) return NULL;
    return calloc(n ? n : 1, size ? size : 1);
}

char *us_strdup(const char *s) {
    size_t len = strlen(s) + 1;
    char *copy = malloc(len);
    if (copy) memcpy(copy, s, len);
    return copy;
}

int us_mul_i64(int64_t a, int64_t b, int64_t *out) {
    if (a < 0 || b < 0) return 0;
    if (a != 0 && b > INT64_MAX / a) return 0;
    *out = a * b;
    return 1;
}
