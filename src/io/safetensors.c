/* safetensors reader and writer. The header is validated completely at open
 * time against the real size of the file (or memory image); tensors are read
 * on demand, in fixed-size chunks, and converted to float32. */
#include "io/safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/tensor.h"
#include "io/json.h"
#include "io/output_target.h"

/* Same header cap as the reference (Hugging Face) implementation. */
#define ST_MAX_HEADER ((uint64_t)100000000)
#define ST_CHUNK 16384 /* bytes converted per read; a multiple of every dtype size */
/* A little-endian host: F32 data in the file is the floats' own bytes, copied
 * as they are (reading and writing Unet('resnet34')'s 98 MB byte by byte
 * took a third of a load's time). US_ST_PORTABLE forces the byte-by-byte
 * code that big-endian hosts run, so that a test build keeps it checked. */
_Static_assert(sizeof(float) == 4, "F32 is a 4-byte float");
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && !defined(US_ST_PORTABLE)
#define ST_HOST_IS_F32LE 1
#else
#define ST_HOST_IS_F32LE 0
#endif
#define ST_METADATA "__metadata__"

struct us_st_file {
    char *origin;          /* path, or "memory image"; prefixes messages */
    FILE *fp;              /* NULL for a memory image */
    unsigned char *image;  /* the copied memory image, or NULL */
    uint64_t data_start;   /* 8 + header length */
    uint64_t data_size;    /* bytes after the header */
    int32_t count;
    us_st_entry *entries;  /* in header order */
    us_st_entry **by_name; /* the same entries sorted by name, for us_st_find */
    int32_t meta_count;
    char **meta_keys, **meta_values;
};

static const struct {
    const char *name;
    int64_t size;
} st_dtypes[] = {[US_ST_F32] = {"F32", 4}, [US_ST_F16] = {"F16", 2},
                 [US_ST_BF16] = {"BF16", 2}, [US_ST_F64] = {"F64", 8}};
#define ST_N_DTYPES ((int32_t)(sizeof st_dtypes / sizeof st_dtypes[0]))

typedef unsigned long long ull; /* for printf */

/* ------------------------------------------------------------------ helpers */

static const char *errno_text(int err, char *buf, size_t n) {
    /* The XSI strerror_r (selected by _POSIX_C_SOURCE) is thread-safe. */
    if (strerror_r(err, buf, n) != 0) snprintf(buf, n, "errno %d", err);
    return buf;
}

static uint64_t load_le64(const unsigned char *b) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | b[i];
    return v;
}

static void store_le64(unsigned char *b, uint64_t v) {
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i));
}

static float bits_to_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static float f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
    if (exp == 0) {
        /* Zero or subnormal: mant * 2^-24, exact in float32. */
        float v = (float)mant * (1.0f / 16777216.0f);
        return sign ? -v : v;
    }
    if (exp == 31) return bits_to_f32(sign | 0x7F800000u | (mant << 13)); /* inf / nan */
    return bits_to_f32(sign | ((exp + 112) << 23) | (mant << 13)); /* rebias 15 -> 127 */
}

/* Convert n little-endian elements of `dtype` at src to float32. */
static void convert(float *dst, const unsigned char *src, size_t n, int32_t dtype) {
    if (ST_HOST_IS_F32LE && dtype == US_ST_F32) {
        if (n) memcpy(dst, src, n * sizeof(float));
        return;
    }
    for (size_t i = 0; i < n; i++) {
        switch (dtype) {
        case US_ST_F32: {
            const unsigned char *b = src + 4 * i;
            dst[i] = bits_to_f32((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                                 (uint32_t)b[3] << 24);
            break;
        }
        case US_ST_F16: dst[i] = f16_to_f32((uint16_t)(src[2 * i] | src[2 * i + 1] << 8)); break;
        case US_ST_BF16:
            dst[i] = bits_to_f32((uint32_t)src[2 * i] << 16 | (uint32_t)src[2 * i + 1] << 24);
            break;
        default: { /* US_ST_F64 */
            uint64_t u = load_le64(src + 8 * i);
            double d;
            memcpy(&d, &u, sizeof d);
            /* Out-of-range values become +-inf under IEC 60559 (Annex F). */
            dst[i] = (float)d;
        }
        }
    }
}

static int cmp_entry_name(const void *a, const void *b) {
    return strcmp((*(us_st_entry *const *)a)->name, (*(us_st_entry *const *)b)->name);
}

static int cmp_entry_range(const void *a, const void *b) {
    const us_st_entry *x = *(us_st_entry *const *)a, *y = *(us_st_entry *const *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return 0;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Fail with `status` if two of names[0..n-1] are equal. */
static int32_t check_unique(const char *const *names, int32_t n, int32_t status,
                            const char *origin, const char *what) {
    if (n < 2) return UNETSEG_OK;
    const char **sorted = us_malloc_array((size_t)n, sizeof *sorted);
    if (!sorted) return us_fail(UNETSEG_E_NOMEM, "%s: out of memory", origin);
    memcpy(sorted, names, (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_str);
    int32_t st = UNETSEG_OK;
    for (int32_t i = 1; i < n && st == UNETSEG_OK; i++)
        if (strcmp(sorted[i - 1], sorted[i]) == 0)
            st = us_fail(status, "%s: duplicate %s '%.200s'", origin, what, sorted[i]);
    free(sorted);
    return st;
}

/* ------------------------------------------------------------ header parsing */

/* The string of v without NULs, or NULL (not a string, or one holding a NUL). */
static const char *plain_string(const json_t *v) {
    const char *s = json_string_value(v);
    return s && strlen(s) == json_string_length(v) ? s : NULL;
}

/* Validate one tensor entry (name -> {dtype, shape, data_offsets}) into *e.
 * jansson has refused duplicate keys and NULs in keys already. */
static int32_t parse_entry(const us_st_file *f, const char *name, const json_t *v, us_st_entry *e) {
    const char *o = f->origin;
    if (!json_is_object(v))
        return us_fail(UNETSEG_E_FORMAT, "%s: tensor '%.200s': entry is not a JSON object", o,
                       name);

    const char *key;
    json_t *field;
    json_object_foreach((json_t *)v, key, field) {
        if (strcmp(key, "dtype") != 0 && strcmp(key, "shape") != 0 &&
            strcmp(key, "data_offsets") != 0)
            return us_fail(UNETSEG_E_FORMAT, "%s: tensor '%.200s': unknown key '%.200s'", o, name,
                           key);
    }
    const json_t *dtype = json_object_get(v, "dtype"), *shape = json_object_get(v, "shape"),
                 *offsets = json_object_get(v, "data_offsets");
    if (!dtype) return us_fail(UNETSEG_E_FORMAT, "%s: tensor '%.200s': missing \"dtype\"", o, name);
    if (!shape) return us_fail(UNETSEG_E_FORMAT, "%s: tensor '%.200s': missing \"shape\"", o, name);
    if (!offsets)
        return us_fail(UNETSEG_E_FORMAT, "%s: tensor '%.200s': missing \"data_offsets\"", o, name);

    const char *dtype_name = plain_string(dtype);
    if (!dtype_name)
        return us_fail(UNETSEG_E_FORMAT, "%s: tensor '%.200s': dtype is not a string", o, name);
    e->dtype = -1;
    for (int32_t d = 0; d < ST_N_DTYPES; d++)
        if (strcmp(dtype_name, st_dtypes[d].name) == 0) e->dtype = d;
    if (e->dtype < 0)
        return us_fail(UNETSEG_E_FORMAT,
                       "%s: tensor '%.200s': unsupported dtype \"%.32s\" (need F32, F16, BF16 "
                       "or F64)",
                       o, name, dtype_name);

    if (!json_is_array(shape))
        return us_fail(UNETSEG_E_FORMAT, "%s: tensor '%.200s': shape is not an array", o, name);
    if (json_array_size(shape) > UNETSEG_MAX_RANK)
        return us_fail(UNETSEG_E_FORMAT, "%s: tensor '%.200s': shape has rank %zu, above %d", o,
                       name, json_array_size(shape), UNETSEG_MAX_RANK);
    int64_t bytes = st_dtypes[e->dtype].size;
    e->rank = (int32_t)json_array_size(shape);
    for (int32_t i = 0; i < e->rank; i++) {
        const json_t *dim = json_array_get(shape, (size_t)i);
        if (!json_is_integer(dim) || json_integer_value(dim) < 0)
            return us_fail(UNETSEG_E_FORMAT,
                           "%s: tensor '%.200s': shape[%d] is not a non-negative integer", o,
                           name, (int)i);
        e->shape[i] = (int64_t)json_integer_value(dim);
        if (!us_mul_i64(bytes, e->shape[i], &bytes))
            return us_fail(UNETSEG_E_FORMAT, "%s: tensor '%.200s': byte size of the shape overflows",
                           o, name);
    }

    const json_t *b = json_array_get(offsets, 0), *end = json_array_get(offsets, 1);
    if (!json_is_array(offsets) || json_array_size(offsets) != 2 || !json_is_integer(b) ||
        !json_is_integer(end) || json_integer_value(b) < 0 || json_integer_value(end) < 0)
        return us_fail(UNETSEG_E_FORMAT,
                       "%s: tensor '%.200s': data_offsets is not [begin, end] of non-negative "
                       "integers",
                       o, name);
    e->begin = (uint64_t)json_integer_value(b);
    e->end = (uint64_t)json_integer_value(end);
    if (e->begin > e->end)
        return us_fail(UNETSEG_E_FORMAT, "%s: tensor '%.200s': data_offsets begin %llu > end %llu",
                       o, name, (ull)e->begin, (ull)e->end);
    if (e->end > f->data_size)
        return us_fail(UNETSEG_E_FORMAT,
                       "%s: tensor '%.200s': data_offsets end %llu is past the data area (%llu "
                       "bytes)",
                       o, name, (ull)e->end, (ull)f->data_size);
    if (e->end - e->begin != (uint64_t)bytes)
        return us_fail(UNETSEG_E_FORMAT,
                       "%s: tensor '%.200s': data_offsets span %llu bytes but %s of this shape "
                       "needs %lld",
                       o, name, (ull)(e->end - e->begin), st_dtypes[e->dtype].name,
                       (long long)bytes);
    e->name = us_strdup(name);
    if (!e->name) return us_fail(UNETSEG_E_NOMEM, "%s: out of memory", o);
    return UNETSEG_OK;
}

/* The metadata object: string keys to string values without NULs (jansson
 * has refused duplicate keys). */
static int32_t parse_metadata(us_st_file *f, const json_t *v) {
    const char *o = f->origin;
    if (!json_is_object(v))
        return us_fail(UNETSEG_E_FORMAT, "%s: __metadata__ is not a JSON object", o);
    size_t n = json_object_size(v);
    if (n > INT32_MAX) return us_fail(UNETSEG_E_FORMAT, "%s: too many __metadata__ items", o);
    f->meta_keys = us_calloc_array(n, sizeof(char *));
    f->meta_values = us_calloc_array(n, sizeof(char *));
    if (!f->meta_keys || !f->meta_values) return us_fail(UNETSEG_E_NOMEM, "%s: out of memory", o);
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)v, key, value) {
        const char *text = plain_string(value);
        if (!text)
            return us_fail(UNETSEG_E_FORMAT,
                           "%s: __metadata__ value for '%.200s' is not a string (without NULs)", o,
                           key);
        int32_t i = f->meta_count;
        f->meta_keys[i] = us_strdup(key);
        f->meta_values[i] = us_strdup(text);
        f->meta_count = i + 1; /* so that us_st_close frees them */
        if (!f->meta_keys[i] || !f->meta_values[i])
            return us_fail(UNETSEG_E_NOMEM, "%s: out of memory", o);
    }
    return UNETSEG_OK;
}

/* Sort the entries by name (for us_st_find, rejecting duplicates) and check
 * that no two byte ranges overlap. */
static int32_t index_entries(us_st_file *f) {
    const char *o = f->origin;
    us_st_entry **sorted = us_malloc_array((size_t)f->count, sizeof *sorted);
    f->by_name = us_malloc_array((size_t)f->count, sizeof *f->by_name);
    if (!sorted || !f->by_name) {
        free(sorted);
        return us_fail(UNETSEG_E_NOMEM, "%s: out of memory", o);
    }
    for (int32_t i = 0; i < f->count; i++) f->by_name[i] = sorted[i] = &f->entries[i];

    int32_t st = UNETSEG_OK;
    qsort(f->by_name, (size_t)f->count, sizeof *sorted, cmp_entry_name);
    for (int32_t i = 1; i < f->count && st == UNETSEG_OK; i++)
        if (strcmp(f->by_name[i - 1]->name, f->by_name[i]->name) == 0)
            st = us_fail(UNETSEG_E_FORMAT, "%s: duplicate tensor name '%.200s'", o,
                         f->by_name[i]->name);

    /* Empty tensors occupy no bytes, so they cannot overlap anything. Among
     * the others, sorted by begin, each must start at or after the largest
     * end seen so far. */
    qsort(sorted, (size_t)f->count, sizeof *sorted, cmp_entry_range);
    const us_st_entry *last = NULL;
    for (int32_t i = 0; i < f->count && st == UNETSEG_OK; i++) {
        const us_st_entry *e = sorted[i];
        if (e->begin == e->end) continue;
        if (last && e->begin < last->end)
            st = us_fail(UNETSEG_E_FORMAT,
                         "%s: tensors '%.200s' and '%.200s' overlap in the data area", o,
                         last->name, e->name);
        if (!last || e->end > last->end) last = e;
    }
    free(sorted);
    return st;
}

/* Parse and validate header[0..n-1]; f->data_size must already be set. */
static int32_t parse_header(us_st_file *f, const char *header, size_t n) {
    const char *o = f->origin;
    json_t *root = NULL;
    char what[300];
    snprintf(what, sizeof what, "%.256s: header", o);
    int32_t st = us_json_load(header, n, what, &root);
    if (st != UNETSEG_OK) return st;
    if (!json_is_object(root)) {
        json_decref(root);
        return us_fail(UNETSEG_E_FORMAT, "%s: header is not a JSON object", o);
    }

    const json_t *meta = json_object_get(root, ST_METADATA);
    size_t n_tensors = json_object_size(root) - (meta != NULL);
    if (n_tensors > INT32_MAX) st = us_fail(UNETSEG_E_FORMAT, "%s: too many tensors", o);
    if (st == UNETSEG_OK) {
        f->entries = us_calloc_array(n_tensors, sizeof *f->entries);
        if (!f->entries) st = us_fail(UNETSEG_E_NOMEM, "%s: out of memory", o);
    }
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value) {
        if (st != UNETSEG_OK) break;
        if (value == meta) continue;
        st = parse_entry(f, key, value, &f->entries[f->count]);
        if (st == UNETSEG_OK) f->count++;
    }
    if (st == UNETSEG_OK && meta) st = parse_metadata(f, meta);
    if (st == UNETSEG_OK) st = index_entries(f);
    json_decref(root);
    return st;
}

/* Check the 8-byte length prefix against the total size; sets the data area. */
static int32_t check_prefix(us_st_file *f, const unsigned char prefix[8], uint64_t size,
                            uint64_t *header_len) {
    uint64_t n = load_le64(prefix);
    if (n > ST_MAX_HEADER)
        return us_fail(UNETSEG_E_FORMAT, "%s: header length %llu exceeds the 100 MB limit",
                       f->origin, (ull)n);
    if (n > size - 8)
        return us_fail(UNETSEG_E_FORMAT,
                       "%s: header length %llu is larger than the %llu bytes that follow it",
                       f->origin, (ull)n, (ull)(size - 8));
    f->data_start = 8 + n;
    f->data_size = size - 8 - n;
    *header_len = n;
    return UNETSEG_OK;
}

static int32_t check_size(const us_st_file *f, uint64_t size) {
    if (size == 0)
        return us_fail(UNETSEG_E_FORMAT, "%s: file is empty (no safetensors header)", f->origin);
    if (size < 8)
        return us_fail(UNETSEG_E_FORMAT,
                       "%s: file is %llu bytes, too short for the 8-byte header length",
                       f->origin, (ull)size);
    return UNETSEG_OK;
}

static us_st_file *new_file(const char *origin) {
    us_st_file *f = us_calloc(1, sizeof *f);
    if (f && !(f->origin = us_strdup(origin))) {
        free(f);
        f = NULL;
    }
    return f;
}

/* ------------------------------------------------------------------ opening */

/* fopen(path) for reading, refusing anything but a regular file before a
 * read could block: O_NONBLOCK keeps the open of a FIFO without a writer
 * from waiting for one (fopen would wait for ever), then fstat decides. */
static int32_t open_regular(const char *path, FILE **fp, struct stat *sb) {
    char eb[128];
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return us_fail(UNETSEG_E_IO, "cannot open '%s': %s", path, errno_text(errno, eb, sizeof eb));
    int32_t st = UNETSEG_OK;
    if (fstat(fd, sb) != 0)
        st = us_fail(UNETSEG_E_IO, "cannot stat '%s': %s", path, errno_text(errno, eb, sizeof eb));
    else if (!S_ISREG(sb->st_mode))
        st = us_fail(UNETSEG_E_IO, "'%s' is not a regular file", path);
    else if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0 || !(*fp = fdopen(fd, "rb")))
        st = us_fail(UNETSEG_E_IO, "cannot open '%s': %s", path, errno_text(errno, eb, sizeof eb));
    if (st) close(fd);
    return st;
}

int32_t us_st_open(const char *path, us_st_file **out) {
    if (out) *out = NULL;
    if (!path || !out) return us_fail(UNETSEG_E_INVALID_ARG, "us_st_open: NULL argument");
    us_st_file *f = new_file(path);
    if (!f) return us_fail(UNETSEG_E_NOMEM, "%s: out of memory", path);

    int32_t st = UNETSEG_OK;
    char *header = NULL;
    struct stat sb;
    unsigned char prefix[8];
    uint64_t n = 0;
    memset(&sb, 0, sizeof sb);
    st = open_regular(path, &f->fp, &sb);
    if (st == UNETSEG_OK) st = check_size(f, (uint64_t)sb.st_size);
    if (st == UNETSEG_OK && fread(prefix, 1, 8, f->fp) != 8)
        st = us_fail(UNETSEG_E_IO, "cannot read the header length of '%s'", path);
    if (st == UNETSEG_OK) st = check_prefix(f, prefix, (uint64_t)sb.st_size, &n);
    /* n is now at most 100 MB and within the file. */
    if (st == UNETSEG_OK && !(header = us_malloc_array((size_t)n, 1)))
        st = us_fail(UNETSEG_E_NOMEM, "%s: out of memory for a %llu-byte header", path, (ull)n);
    if (st == UNETSEG_OK && fread(header, 1, (size_t)n, f->fp) != (size_t)n)
        st = us_fail(UNETSEG_E_IO, "cannot read the %llu-byte header of '%s'", (ull)n, path);
    if (st == UNETSEG_OK) st = parse_header(f, header, (size_t)n);
    free(header);
    if (st != UNETSEG_OK) {
        us_st_close(f);
        return st;
    }
    *out = f;
    return UNETSEG_OK;
}

int32_t us_st_open_memory(const void *data, size_t size, us_st_file **out) {
    if (out) *out = NULL;
    if (!data || !out) return us_fail(UNETSEG_E_INVALID_ARG, "us_st_open_memory: NULL argument");
    us_st_file *f = new_file("memory image");
    if (!f) return us_fail(UNETSEG_E_NOMEM, "memory image: out of memory");
    uint64_t n = 0;
    int32_t st = check_size(f, size);
    if (st == UNETSEG_OK) st = check_prefix(f, data, size, &n);
    if (st == UNETSEG_OK && !(f->image = us_malloc_array(size, 1)))
        st = us_fail(UNETSEG_E_NOMEM, "memory image: out of memory for %zu bytes", size);
    if (st == UNETSEG_OK) {
        memcpy(f->image, data, size);
        st = parse_header(f, (const char *)f->image + 8, (size_t)n);
    }
    if (st != UNETSEG_OK) {
        us_st_close(f);
        return st;
    }
    *out = f;
    return UNETSEG_OK;
}

void us_st_close(us_st_file *f) {
    if (!f) return;
    if (f->fp) fclose(f->fp);
    for (int32_t i = 0; i < f->count; i++) free(f->entries[i].name);
    for (int32_t i = 0; i < f->meta_count; i++) {
        free(f->meta_keys[i]);
        free(f->meta_values[i]);
    }
    free(f->entries);
    free(f->by_name);
    free(f->meta_keys);
    free(f->meta_values);
    free(f->image);
    free(f->origin);
    free(f);
}

/* ------------------------------------------------------------------ queries */

int32_t us_st_count(const us_st_file *f) { return f ? f->count : 0; }

uint64_t us_st_data_size(const us_st_file *f) { return f ? f->data_size : 0; }

const us_st_entry *us_st_entry_at(const us_st_file *f, int32_t index) {
    if (!f || index < 0 || index >= f->count) return NULL;
    return &f->entries[index];
}

const us_st_entry *us_st_find(const us_st_file *f, const char *name) {
    if (!f || !name) return NULL;
    int32_t lo = 0, hi = f->count - 1;
    while (lo <= hi) {
        int32_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, f->by_name[mid]->name);
        if (c == 0) return f->by_name[mid];
        if (c < 0) hi = mid - 1;
        else lo = mid + 1;
    }
    return NULL;
}

int64_t us_st_numel(const us_st_entry *e) {
    if (!e) return 0;
    int64_t n = 1;
    for (int32_t i = 0; i < e->rank; i++) n *= e->shape[i]; /* checked at open */
    return n;
}

/* The checks of a read: `e` is an entry of `f` and holds `count` elements. */
static int32_t check_entry(const us_st_file *f, const us_st_entry *e, int64_t count, const char *fn) {
    /* Compare addresses as integers: `e` may point anywhere. */
    uintptr_t at = (uintptr_t)e, first = (uintptr_t)f->entries;
    if (at < first || at >= first + (uintptr_t)f->count * sizeof *e ||
        (at - first) % sizeof *e != 0)
        return us_fail(UNETSEG_E_INVALID_ARG, "%s: the entry is not from this file", fn);
    int64_t numel = us_st_numel(e);
    if (count != numel)
        return us_fail(UNETSEG_E_SHAPE, "%s: tensor '%.200s' has %lld elements, not %lld",
                       f->origin, e->name, (long long)numel, (long long)count);
    return UNETSEG_OK;
}

static int32_t seek_entry(us_st_file *f, const us_st_entry *e) {
    if (f->image) return UNETSEG_OK;
    /* data_start + begin <= the file size we got from fstat, so it fits off_t. */
    if (fseeko(f->fp, (off_t)(f->data_start + e->begin), SEEK_SET) != 0) {
        char eb[128];
        return us_fail(UNETSEG_E_IO, "%s: cannot seek to tensor '%.200s': %s", f->origin, e->name,
                       errno_text(errno, eb, sizeof eb));
    }
    return UNETSEG_OK;
}

/* Elements [first, first + n) of entry e into dst as float32; a file is
 * positioned at element `first` (seek_entry, then the reads before). */
static int32_t read_elements(us_st_file *f, const us_st_entry *e, int64_t first, float *dst, size_t n) {
    size_t esize = (size_t)st_dtypes[e->dtype].size;
    if (f->image) {
        convert(dst, f->image + f->data_start + e->begin + (size_t)first * esize, n, e->dtype);
        return UNETSEG_OK;
    }
    /* F32 on a little-endian host: straight into dst in one read; other
     * data through buf, a chunk at a time, converted */
    const int direct = ST_HOST_IS_F32LE && e->dtype == US_ST_F32;
    unsigned char buf[ST_CHUNK];
    for (size_t done = 0; done < n;) {
        size_t k = direct ? n : n - done < ST_CHUNK / esize ? n - done : ST_CHUNK / esize;
        if (fread(direct ? (void *)dst : buf, esize, k, f->fp) != k) {
            if (ferror(f->fp))
                return us_fail(UNETSEG_E_IO, "%s: read error in tensor '%.200s'", f->origin,
                               e->name);
            return us_fail(UNETSEG_E_FORMAT, "%s: file ends inside tensor '%.200s' (truncated?)",
                           f->origin, e->name);
        }
        if (!direct) convert(dst + done, buf, k, e->dtype);
        done += k;
    }
    return UNETSEG_OK;
}

int32_t us_st_read_f32(us_st_file *f, const us_st_entry *e, float *dst, int64_t count) {
    if (!f || !e || (!dst && count != 0))
        return us_fail(UNETSEG_E_INVALID_ARG, "us_st_read_f32: NULL argument");
    int32_t st = check_entry(f, e, count, "us_st_read_f32");
    if (!st) st = seek_entry(f, e);
    return st ? st : read_elements(f, e, 0, dst, (size_t)count);
}

int32_t us_st_first_non_finite(us_st_file *f, const us_st_entry *e, int64_t count, float *buf,
                               int64_t buf_floats, int64_t *first_bad) {
    if (!f || !e || !buf || buf_floats < 1 || !first_bad)
        return us_fail(UNETSEG_E_INVALID_ARG, "us_st_first_non_finite: NULL argument or no buffer");
    *first_bad = -1;
    int32_t st = check_entry(f, e, count, "us_st_first_non_finite");
    if (!st) st = seek_entry(f, e);
    for (int64_t done = 0; !st && done < count;) {
        const int64_t k = count - done < buf_floats ? count - done : buf_floats;
        st = read_elements(f, e, done, buf, (size_t)k);
        const int64_t bad = st ? -1 : us_first_non_finite(buf, k);
        if (bad >= 0) {
            *first_bad = done + bad;
            break;
        }
        done += k;
    }
    return st;
}

const char *us_st_meta(const us_st_file *f, const char *key) {
    if (!f || !key) return NULL;
    for (int32_t i = 0; i < f->meta_count; i++)
        if (strcmp(f->meta_keys[i], key) == 0) return f->meta_values[i];
    return NULL;
}

int32_t us_st_meta_count(const us_st_file *f) { return f ? f->meta_count : 0; }

void us_st_meta_at(const us_st_file *f, int32_t index, const char **key, const char **value) {
    int ok = f && index >= 0 && index < f->meta_count;
    if (key) *key = ok ? f->meta_keys[index] : NULL;
    if (value) *value = ok ? f->meta_values[index] : NULL;
}

/* ------------------------------------------------------------------ writing */

static int32_t check_write_args(const us_st_tensor *t, int32_t n_tensors,
                                const char *const *meta_keys, const char *const *meta_values,
                                int32_t n_meta) {
    if (n_tensors < 0 || (n_tensors > 0 && !t) || n_meta < 0 ||
        (n_meta > 0 && (!meta_keys || !meta_values)))
        return us_fail(UNETSEG_E_INVALID_ARG, "us_st_write: NULL or negative count argument");
    int64_t offset = 0;
    for (int32_t i = 0; i < n_tensors; i++) {
        int utf8 = t[i].name ? us_json_utf8_check(t[i].name) : 0;
        if (utf8 < 0) return us_fail(UNETSEG_E_NOMEM, "us_st_write: out of memory");
        if (!utf8)
            return us_fail(UNETSEG_E_INVALID_ARG, "us_st_write: tensor %d has no valid UTF-8 name",
                           (int)i);
        if (strcmp(t[i].name, ST_METADATA) == 0)
            return us_fail(UNETSEG_E_INVALID_ARG, "us_st_write: '%s' is a reserved name",
                           ST_METADATA);
        if (t[i].rank < 0 || t[i].rank > UNETSEG_MAX_RANK || (t[i].rank > 0 && !t[i].shape))
            return us_fail(UNETSEG_E_INVALID_ARG, "us_st_write: tensor '%.200s': bad rank or shape",
                           t[i].name);
        int64_t bytes = 4;
        for (int32_t d = 0; d < t[i].rank; d++) {
            if (t[i].shape[d] < 0)
                return us_fail(UNETSEG_E_INVALID_ARG,
                               "us_st_write: tensor '%.200s': negative dimension %lld", t[i].name,
                               (long long)t[i].shape[d]);
            if (!us_mul_i64(bytes, t[i].shape[d], &bytes))
                return us_fail(UNETSEG_E_INVALID_ARG, "us_st_write: tensor '%.200s' is too large",
                               t[i].name);
        }
        if (bytes > 0 && !t[i].data)
            return us_fail(UNETSEG_E_INVALID_ARG, "us_st_write: tensor '%.200s' has no data",
                           t[i].name);
        if (bytes > INT64_MAX - offset)
            return us_fail(UNETSEG_E_INVALID_ARG, "us_st_write: the tensors are too large");
        offset += bytes;
    }
    for (int32_t i = 0; i < n_meta; i++) {
        int key = meta_keys[i] ? us_json_utf8_check(meta_keys[i]) : 0;
        int value = key > 0 && meta_values[i] ? us_json_utf8_check(meta_values[i]) : 0;
        if (key < 0 || value < 0) return us_fail(UNETSEG_E_NOMEM, "us_st_write: out of memory");
        if (!key || !value)
            return us_fail(UNETSEG_E_INVALID_ARG,
                           "us_st_write: metadata item %d is NULL or not valid UTF-8", (int)i);
    }

    const char **names = us_malloc_array((size_t)n_tensors, sizeof *names);
    if (!names) return us_fail(UNETSEG_E_NOMEM, "us_st_write: out of memory");
    for (int32_t i = 0; i < n_tensors; i++) names[i] = t[i].name;
    int32_t st = check_unique(names, n_tensors, UNETSEG_E_INVALID_ARG, "us_st_write", "tensor name");
    free(names);
    if (st == UNETSEG_OK)
        st = check_unique(meta_keys, n_meta, UNETSEG_E_INVALID_ARG, "us_st_write", "metadata key");
    return st;
}

/* {"dtype":"F32","shape":[...],"data_offsets":[begin,end]}, or NULL if
 * memory ran out. */
static json_t *tensor_entry(const us_st_tensor *t, int64_t begin, int64_t end) {
    json_t *entry = json_object(), *shape = json_array(), *offsets = json_array();
    int ok = entry && shape && offsets;
    for (int32_t d = 0; d < t->rank && ok; d++)
        ok = json_array_append_new(shape, json_integer((json_int_t)t->shape[d])) == 0;
    ok = ok && json_array_append_new(offsets, json_integer((json_int_t)begin)) == 0 &&
         json_array_append_new(offsets, json_integer((json_int_t)end)) == 0 &&
         json_object_set_new(entry, "dtype", json_string("F32")) == 0 &&
         json_object_set(entry, "shape", shape) == 0 &&
         json_object_set(entry, "data_offsets", offsets) == 0;
    json_decref(shape);
    json_decref(offsets);
    if (!ok) {
        json_decref(entry);
        return NULL;
    }
    return entry;
}

/* The header as a JSON object (tensors in order, then "__metadata__"), or
 * NULL if memory ran out. Names and metadata are checked UTF-8 already. */
static json_t *header_object(const us_st_tensor *t, int32_t n_tensors, const char *const *meta_keys,
                             const char *const *meta_values, int32_t n_meta) {
    json_t *root = json_object();
    int ok = root != NULL;
    int64_t offset = 0;
    for (int32_t i = 0; i < n_tensors && ok; i++) {
        int64_t bytes = 4;
        for (int32_t d = 0; d < t[i].rank; d++) bytes *= t[i].shape[d]; /* checked */
        ok = json_object_set_new(root, t[i].name, tensor_entry(&t[i], offset, offset + bytes)) == 0;
        offset += bytes;
    }
    if (ok && n_meta > 0) {
        json_t *meta = json_object(); /* root owns it from here, or it is gone */
        ok = json_object_set_new(root, ST_METADATA, meta) == 0;
        for (int32_t i = 0; i < n_meta && ok; i++)
            ok = json_object_set_new(meta, meta_keys[i], json_string(meta_values[i])) == 0;
    }
    if (!ok) {
        json_decref(root);
        return NULL;
    }
    return root;
}

/* The JSON header, compact, padded with spaces to a multiple of 8 bytes so
 * that the data area starts 8-byte aligned (as the reference writer does);
 * NULL if memory ran out. */
static char *build_header(const us_st_tensor *t, int32_t n_tensors, const char *const *meta_keys,
                          const char *const *meta_values, int32_t n_meta, size_t *len) {
    json_t *root = header_object(t, n_tensors, meta_keys, meta_values, n_meta);
    size_t n = root ? json_dumpb(root, NULL, 0, JSON_COMPACT) : 0;
    char *h = n > 0 && n < SIZE_MAX - 8 ? us_malloc(n + 8) : NULL;
    if (h && json_dumpb(root, h, n, JSON_COMPACT) != n) {
        free(h);
        h = NULL;
    }
    json_decref(root);
    if (!h) return NULL;
    while (n % 8 != 0) h[n++] = ' ';
    *len = n;
    return h;
}

/* Write prefix, header and data to fp; 1 on success (errno tells otherwise). */
static int write_body(FILE *fp, const char *h, size_t h_len, const us_st_tensor *t,
                      int32_t n_tensors) {
    unsigned char buf[ST_CHUNK];
    store_le64(buf, (uint64_t)h_len);
    if (fwrite(buf, 1, 8, fp) != 8 || fwrite(h, 1, h_len, fp) != h_len) return 0;
    for (int32_t i = 0; i < n_tensors; i++) {
        int64_t n = 1;
        for (int32_t d = 0; d < t[i].rank; d++) n *= t[i].shape[d];
        if (ST_HOST_IS_F32LE) {
            if (n > 0 && fwrite(t[i].data, sizeof(float), (size_t)n, fp) != (size_t)n) return 0;
            continue;
        }
        for (int64_t done = 0; done < n;) {
            int64_t k = n - done < ST_CHUNK / 4 ? n - done : ST_CHUNK / 4;
            for (int64_t j = 0; j < k; j++) {
                uint32_t u;
                memcpy(&u, &t[i].data[done + j], sizeof u);
                for (int b = 0; b < 4; b++) buf[4 * j + b] = (unsigned char)(u >> (8 * b));
            }
            if (fwrite(buf, 4, (size_t)k, fp) != (size_t)k) return 0;
            done += k;
        }
    }
    return fflush(fp) == 0 && fsync(fileno(fp)) == 0;
}

/* Create "<path>.tmp.<unique>" exclusively; returns the fd or -1 (errno). The
 * suffix mixes the pid, a clock and the attempt number, so concurrent writers
 * (threads or processes) never share a name; O_EXCL makes a clash a retry. */
static int create_temp(const char *path, char *tmp, size_t size) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t seed = ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)tmp;
    for (int attempt = 0; attempt < 100; attempt++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        snprintf(tmp, size, "%s.tmp.%016llx", path, (unsigned long long)seed);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    return -1;
}

int32_t us_st_write(const char *path, const us_st_tensor *tensors, int32_t n_tensors,
                    const char *const *meta_keys, const char *const *meta_values,
                    int32_t n_meta) {
    if (!path) return us_fail(UNETSEG_E_INVALID_ARG, "us_st_write: NULL path");
    int32_t st = check_write_args(tensors, n_tensors, meta_keys, meta_values, n_meta);
    if (st != UNETSEG_OK) return st;

    us_output_target target;
    st = us_output_target_resolve("save", path, &target);
    if (st != UNETSEG_OK) return st;
    path = target.path; /* a symbolic link's target: the link stays */
    size_t plen = strlen(path), h_len = 0;
    char *tmp = plen < SIZE_MAX - 40 ? us_malloc(plen + 40) : NULL;
    char *h = tmp ? build_header(tensors, n_tensors, meta_keys, meta_values, n_meta, &h_len) : NULL;
    if (!h) {
        free(tmp);
        free(target.path);
        return us_fail(UNETSEG_E_NOMEM, "us_st_write: out of memory");
    }
    /* Write a temporary file in the same directory, then rename it over
     * `path`: readers never see a half-written file. open(0666) lets the
     * umask set the mode of a new file; a replaced file keeps its mode. */
    char eb[128];
    int fd = create_temp(path, tmp, plen + 40);
    if (fd < 0) {
        st = us_fail(UNETSEG_E_IO, "cannot create a temporary file for '%s': %s", path,
                     errno_text(errno, eb, sizeof eb));
        free(tmp);
        free(target.path);
        free(h);
        return st;
    }
    if (target.exists) (void)fchmod(fd, (mode_t)target.mode); /* best effort, as cp */
    FILE *fp = fdopen(fd, "wb");
    if (!fp) {
        st = us_fail(UNETSEG_E_IO, "cannot write '%s': %s", tmp, errno_text(errno, eb, sizeof eb));
        close(fd);
    } else if (!write_body(fp, h, h_len, tensors, n_tensors)) {
        st = us_fail(UNETSEG_E_IO, "cannot write '%s': %s", tmp, errno_text(errno, eb, sizeof eb));
        fclose(fp);
    } else if (fclose(fp) != 0) {
        st = us_fail(UNETSEG_E_IO, "cannot write '%s': %s", tmp, errno_text(errno, eb, sizeof eb));
    } else if (rename(tmp, path) != 0) {
        st = us_fail(UNETSEG_E_IO, "cannot rename '%s' to '%s': %s", tmp, path,
                     errno_text(errno, eb, sizeof eb));
    }
    if (st != UNETSEG_OK) unlink(tmp);
    free(tmp);
    free(target.path);
    free(h);
    return st;
}
