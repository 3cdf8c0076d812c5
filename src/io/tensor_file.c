/* Reading and writing plain tensors in safetensors files. */
#include "io/tensor_file.h"

#include <stdlib.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/tensor.h"
#include "io/safetensors.h"

int32_t us_tensor_load_file(const char *path, const char *name, unetseg_tensor **out) {
    *out = NULL;
    us_st_file *f = NULL;
    int32_t st = us_st_open(path, &f);
    const us_st_entry *e = st ? NULL : us_st_find(f, name);
    if (!st && !e) st = us_fail(UNETSEG_E_NOT_FOUND, "tensor_load: %s has no tensor '%s'", path, name);
    if (!st && e->rank < 1)
        st = us_fail(UNETSEG_E_FORMAT, "tensor_load: '%s' in %s is a scalar", name, path);
    if (!st) st = us_tensor_new(e->rank, e->shape, out);
    if (!st) st = us_st_read_f32(f, e, (*out)->data, (*out)->numel);
    if (st) {
        unetseg_tensor_free(*out);
        *out = NULL;
    }
    us_st_close(f);
    return st;
}

int32_t us_tensors_save_file(const char *path, const char *const *names,
                             const unetseg_tensor *const *tensors, int32_t n) {
    us_st_tensor *items = us_calloc_array((size_t)(n ? n : 1), sizeof *items);
    if (!items) return us_fail(UNETSEG_E_NOMEM, "tensors_save: out of memory");
    int32_t st = UNETSEG_OK;
    for (int32_t i = 0; i < n && !st; i++) {
        if (!names[i] || !tensors[i])
            st = us_fail(UNETSEG_E_INVALID_ARG, "tensors_save: name or tensor %d is NULL", i);
        else
            items[i] = (us_st_tensor){names[i], tensors[i]->rank, tensors[i]->shape, tensors[i]->data};
    }
    if (!st) st = us_st_write(path, items, n, NULL, NULL, 0);
    free(items);
    return st;
}
