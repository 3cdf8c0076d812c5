/* safetensors reading and writing (internal).
 *
 * Format: 8-byte little-endian header length N, N bytes of JSON header, then
 * the data area. The header maps tensor names to {"dtype", "shape",
 * "data_offsets": [begin, end]} (offsets relative to the data area) and may
 * hold "__metadata__": {string: string}.
 *
 * The reader reads and validates only the header at open time (checked
 * against the real file size, never trusting sizes from the file) and reads
 * each tensor on demand, converting it to float32. All failures return a
 * UNETSEG_E_* status with a message from us_fail(). */
#ifndef US_IO_SAFETENSORS_H
#define US_IO_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "unetseg.h"

#define US_ST_F32 0
#define US_ST_F16 1
#define US_ST_BF16 2
#define US_ST_F64 3

typedef struct us_st_entry {
    char *name;
    int32_t dtype;                    /* US_ST_* */
    int32_t rank;                     /* 0..UNETSEG_MAX_RANK */
    int64_t shape[UNETSEG_MAX_RANK];
    uint64_t begin, end;              /* byte range within the data area */
} us_st_entry;

typedef struct us_st_file us_st_file;

/* Open `path` and validate its header: header length within the file (and at
 * most 100 MB), valid UTF-8/JSON, known dtypes, shapes whose byte size equals
 * end - begin, ranges inside the data area and not overlapping, no duplicate
 * names. Errors: INVALID_ARG, IO, FORMAT, NOMEM. */
int32_t us_st_open(const char *path, us_st_file **out);
/* Same validation on an in-memory image (copied); used by tests and fuzzing. */
int32_t us_st_open_memory(const void *data, size_t size, us_st_file **out);
void us_st_close(us_st_file *file);

int32_t us_st_count(const us_st_file *file);
/* Bytes of the data area (after the header). */
uint64_t us_st_data_size(const us_st_file *file);
const us_st_entry *us_st_entry_at(const us_st_file *file, int32_t index);
const us_st_entry *us_st_find(const us_st_file *file, const char *name);
/* Element count of an entry (product of its shape; 1 for rank 0). */
int64_t us_st_numel(const us_st_entry *entry);
/* Read an entry into dst[0..count-1] as float32, converting F16/BF16/F64.
 * count must equal us_st_numel(entry). Errors: SHAPE, IO, FORMAT. */
int32_t us_st_read_f32(us_st_file *file, const us_st_entry *entry, float *dst, int64_t count);
/* Read an entry as us_st_read_f32 does, with the same errors, without
 * keeping it: buf_floats at a time through `buf` (the caller's, so that a
 * buffer small enough to stay in cache serves a whole load; with
 * buf_floats >= count, buf then holds the whole entry, as from
 * us_st_read_f32). *first_bad = the index of its first NaN or infinity, or
 * -1 (and -1 on error).
 * Errors: as us_st_read_f32, INVALID_ARG (buf or first_bad NULL,
 * buf_floats < 1). */
int32_t us_st_first_non_finite(us_st_file *file, const us_st_entry *entry, int64_t count,
                               float *buf, int64_t buf_floats, int64_t *first_bad);

/* Metadata value for `key`, or NULL; borrowed until us_st_close. */
const char *us_st_meta(const us_st_file *file, const char *key);
int32_t us_st_meta_count(const us_st_file *file);
/* Borrowed key/value of metadata item `index`. */
void us_st_meta_at(const us_st_file *file, int32_t index, const char **key, const char **value);

/* One tensor to write (float32, written as F32). */
typedef struct us_st_tensor {
    const char *name;
    int32_t rank;
    const int64_t *shape;
    const float *data;
} us_st_tensor;

/* Write a safetensors file: tensors in the given order, metadata as
 * "__metadata__" (keys/values JSON-escaped). Writes to a temporary file in the
 * same directory and renames it, so a failed write never leaves a half file.
 * Errors: INVALID_ARG, IO, NOMEM. */
int32_t us_st_write(const char *path, const us_st_tensor *tensors, int32_t n_tensors,
                    const char *const *meta_keys, const char *const *meta_values,
                    int32_t n_meta);

#endif
