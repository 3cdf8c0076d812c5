/* libFuzzer target: the safetensors reader on an untrusted memory image.
 * Opens the bytes with us_st_open_memory, then reads every tensor that fits a
 * bounded buffer and looks up every name and metadata item. Nothing may
 * crash, leak or read out of bounds; every failure must be a status. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/tensor.h"
#include "io/safetensors.h"

#define MAX_FLOATS (1 << 20) /* 4 MB: larger tensors are skipped */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static float buf[MAX_FLOATS];
    us_st_file *f = NULL;
    if (us_st_open_memory(size ? (const void *)data : (const void *)"", size, &f) != UNETSEG_OK)
        return 0;
    for (int32_t i = 0; i < us_st_count(f); i++) {
        const us_st_entry *e = us_st_entry_at(f, i);
        if (us_st_find(f, e->name) != e) abort(); /* names are unique */
        int64_t n = us_st_numel(e);
        if (n < 0) abort();
        if (n <= MAX_FLOATS && us_st_read_f32(f, e, buf, n) != UNETSEG_OK) abort();
        if (us_st_read_f32(f, e, buf, n + 1) == UNETSEG_OK) abort(); /* wrong count */
        /* the check of a load, through a small buffer, on any size of
         * tensor: it finds the first NaN or infinity of the values read whole */
        static float chunk[7];
        int64_t bad = -2;
        if (us_st_first_non_finite(f, e, n, chunk, 7, &bad) != UNETSEG_OK || bad < -1 || bad >= n) abort();
        if (n <= MAX_FLOATS && bad != us_first_non_finite(buf, n)) abort();
    }
    for (int32_t i = 0; i < us_st_meta_count(f); i++) {
        const char *key = NULL, *value = NULL;
        us_st_meta_at(f, i, &key, &value);
        if (!key || !value || us_st_meta(f, key) != value) abort();
    }
    us_st_close(f);
    return 0;
}
