/* Tests of the internal safetensors reader/writer and its JSON parser. */
#include "support/test_support.h"

#include <dirent.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/json.h"
#include "io/safetensors.h"

static char tmp_dir[64];

static int setup_dir(void **state) {
    (void)state;
    strcpy(tmp_dir, "/tmp/us_st_test_XXXXXX");
    return mkdtemp(tmp_dir) ? 0 : -1;
}

static int remove_dir(void **state) {
    (void)state;
    DIR *d = opendir(tmp_dir);
    if (!d) return -1;
    struct dirent *ent;
    char path[512];
    while ((ent = readdir(d)) != NULL) {
        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0) continue;
        snprintf(path, sizeof path, "%s/%s", tmp_dir, ent->d_name);
        if (unlink(path) != 0) rmdir(path);
    }
    closedir(d);
    return rmdir(tmp_dir);
}

static const char *tmp_path(const char *name) {
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", tmp_dir, name);
    return path;
}

/* Number of entries in the temp dir whose name contains `part`. */
static int count_files_with(const char *part) {
    DIR *d = opendir(tmp_dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL)
        if (strstr(ent->d_name, part)) n++;
    closedir(d);
    return n;
}

static void write_bytes(const char *path, const void *data, size_t len) {
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

static unsigned char *read_bytes(const char *path, size_t *len) {
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    *len = (size_t)n;
    return buf;
}

/* An image: 8-byte little-endian length of `header`, the header, `data`. */
static unsigned char *make_image(const char *header, size_t header_len, const void *data,
                                 size_t data_len, size_t *size) {
    *size = 8 + header_len + data_len;
    unsigned char *img = calloc(1, *size);
    assert_non_null(img);
    for (int i = 0; i < 8; i++) img[i] = (unsigned char)((uint64_t)header_len >> (8 * i));
    memcpy(img + 8, header, header_len);
    if (data_len && data) memcpy(img + 8 + header_len, data, data_len);
    return img;
}

/* Open an image from memory and, written to a file, from disk. */
static void open_both(const unsigned char *img, size_t size, us_st_file **mem, us_st_file **file) {
    assert_ok(us_st_open_memory(img, size, mem));
    const char *path = tmp_path("image.safetensors");
    write_bytes(path, img, size);
    assert_ok(us_st_open(path, file));
}

/* Both openers must reject the image with `status` and a message naming `needle`. */
static void expect_bad_image(const unsigned char *img, size_t size, int32_t status,
                             const char *needle) {
    us_st_file *f = (us_st_file *)1;
    assert_status(us_st_open_memory(img, size, &f), status);
    assert_null(f);
    assert_error_mentions(needle);
    const char *path = tmp_path("bad.safetensors");
    write_bytes(path, img, size);
    f = (us_st_file *)1;
    assert_status(us_st_open(path, &f), status);
    assert_null(f);
    assert_error_mentions(needle);
    assert_error_mentions(path);
}

/* A header with a data area of `data_len` zero bytes must be rejected. */
static void expect_bad_header(const char *header, size_t data_len, const char *needle) {
    size_t size;
    unsigned char *zeros = calloc(1, data_len + 1);
    unsigned char *img = make_image(header, strlen(header), zeros, data_len, &size);
    expect_bad_image(img, size, UNETSEG_E_FORMAT, needle);
    free(img);
    free(zeros);
}

static void assert_same_bits(const float *a, const float *b, size_t n) {
    assert_memory_equal(a, b, n * sizeof(float));
}

/* ------------------------------------------------------------ round trips */

static const int64_t shape_kernel[2] = {2, 3};
static const int64_t shape_empty[2] = {0, 4};
static const int64_t shape_gamma[1] = {6};
static const float kernel[6] = {-1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 1.5f};
static const float scalar = 3.25f;

static void check_roundtrip_file(us_st_file *f, const float *gamma) {
    assert_int_equal(us_st_count(f), 4);
    const char *names[4] = {"conv/kernel", "scalar", "empty", "bn/gamma"};
    const int32_t ranks[4] = {2, 0, 2, 1};
    for (int32_t i = 0; i < 4; i++) {
        const us_st_entry *e = us_st_entry_at(f, i);
        assert_non_null(e);
        assert_string_equal(e->name, names[i]); /* header order is kept */
        assert_int_equal(e->dtype, US_ST_F32);
        assert_int_equal(e->rank, ranks[i]);
        assert_ptr_equal(us_st_find(f, names[i]), e);
    }
    assert_null(us_st_entry_at(f, 4));
    assert_null(us_st_entry_at(f, -1));
    assert_null(us_st_find(f, "missing"));

    const us_st_entry *e = us_st_find(f, "conv/kernel");
    assert_int_equal(e->shape[0], 2);
    assert_int_equal(e->shape[1], 3);
    assert_int_equal(us_st_numel(e), 6);
    float got[6];
    assert_ok(us_st_read_f32(f, e, got, 6));
    assert_same_bits(got, kernel, 6);

    e = us_st_find(f, "scalar");
    assert_int_equal(us_st_numel(e), 1);
    assert_ok(us_st_read_f32(f, e, got, 1));
    assert_true(got[0] == scalar);

    e = us_st_find(f, "empty");
    assert_int_equal(e->shape[0], 0);
    assert_int_equal(e->shape[1], 4);
    assert_int_equal(us_st_numel(e), 0);
    assert_int_equal(e->begin, e->end);
    assert_ok(us_st_read_f32(f, e, got, 0));

    e = us_st_find(f, "bn/gamma");
    assert_ok(us_st_read_f32(f, e, got, 6));
    assert_same_bits(got, gamma, 6);

    assert_int_equal(us_st_meta_count(f), 2);
    const char *k, *v;
    us_st_meta_at(f, 0, &k, &v);
    assert_string_equal(k, "format");
    assert_string_equal(v, "pt");
    us_st_meta_at(f, 1, &k, &v);
    assert_string_equal(k, "note \xc3\xa9");
    assert_string_equal(v, "quote\" back\\ nl\n tab\t ctl\x01 end");
    us_st_meta_at(f, 2, &k, &v);
    assert_null(k);
    assert_null(v);
    assert_string_equal(us_st_meta(f, "format"), "pt");
    assert_null(us_st_meta(f, "nope"));
}

static void write_sample(const char *path, const float *gamma) {
    const us_st_tensor t[4] = {
        {"conv/kernel", 2, shape_kernel, kernel},
        {"scalar", 0, NULL, &scalar},
        {"empty", 2, shape_empty, NULL},
        {"bn/gamma", 1, shape_gamma, gamma},
    };
    const char *keys[2] = {"format", "note \xc3\xa9"};
    const char *values[2] = {"pt", "quote\" back\\ nl\n tab\t ctl\x01 end"};
    assert_ok(us_st_write(path, t, 4, keys, values, 2));
}

static void test_write_read_roundtrip(void **state) {
    (void)state;
    const float gamma[6] = {-0.0f, 1e-40f, FLT_MAX, -INFINITY, NAN, 7.0f};
    const char *path = tmp_path("model.safetensors");
    write_sample(path, gamma);
    assert_int_equal(count_files_with(".tmp."), 0);

    /* The header is padded with spaces to a multiple of 8 bytes. */
    size_t len;
    unsigned char *raw = read_bytes(path, &len);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = (n << 8) | raw[i];
    assert_int_equal(n % 8, 0);
    assert_true(raw[8] == '{');
    assert_int_equal(len, 8 + n + (6 + 1 + 0 + 6) * 4);

    us_st_file *f = NULL;
    assert_ok(us_st_open(path, &f));
    check_roundtrip_file(f, gamma);
    us_st_close(f);

    assert_ok(us_st_open_memory(raw, len, &f));
    check_roundtrip_file(f, gamma);
    us_st_close(f);
    free(raw);
}

/* The output rule (docs/FORMATS.md): links written through, special files,
 * read-only files and directories refused, a replaced file keeps its mode. */
static void test_write_target_rule(void **state) {
    (void)state;
    const float gamma[6] = {1, 2, 3, 4, 5, 6};
    const us_st_tensor one = {"x", 1, shape_gamma, gamma};
    struct stat sb;

    /* a symbolic link stays a link; its target gets the data */
    char target[4096], link[4096]; /* tmp_path's buffer is reused */
    snprintf(target, sizeof target, "%s", tmp_path("link-target.safetensors"));
    snprintf(link, sizeof link, "%s", tmp_path("link.safetensors"));
    unlink(link);
    assert_ok(us_st_write(target, NULL, 0, NULL, NULL, 0));
    assert_int_equal(symlink(target, link), 0);
    assert_ok(us_st_write(link, &one, 1, NULL, NULL, 0));
    assert_int_equal(lstat(link, &sb), 0);
    assert_true(S_ISLNK(sb.st_mode));
    us_st_file *f = NULL;
    assert_ok(us_st_open(target, &f));
    assert_int_equal(us_st_count(f), 1);
    us_st_close(f);
    unlink(link);

    /* a dangling link is refused, nothing created */
    assert_int_equal(symlink(tmp_path("nowhere/x"), link), 0);
    assert_status(us_st_write(link, &one, 1, NULL, NULL, 0), UNETSEG_E_IO);
    assert_error_mentions("symbolic link to nothing");
    unlink(link);

    /* a FIFO and a directory are refused and stay what they were */
    char fifo[4096];
    snprintf(fifo, sizeof fifo, "%s", tmp_path("out-fifo"));
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_status(us_st_write(fifo, &one, 1, NULL, NULL, 0), UNETSEG_E_IO);
    assert_error_mentions("a FIFO, not a regular file: not replaced");
    assert_int_equal(lstat(fifo, &sb), 0);
    assert_true(S_ISFIFO(sb.st_mode));
    unlink(fifo);
    assert_status(us_st_write(tmp_dir, &one, 1, NULL, NULL, 0), UNETSEG_E_IO);
    assert_error_mentions("a directory");

    /* read-only: refused even for root (who could write it) */
    char ro[4096];
    snprintf(ro, sizeof ro, "%s", tmp_path("read-only.safetensors"));
    assert_ok(us_st_write(ro, NULL, 0, NULL, NULL, 0));
    assert_int_equal(chmod(ro, 0444), 0);
    assert_status(us_st_write(ro, &one, 1, NULL, NULL, 0), UNETSEG_E_IO);
    assert_error_mentions("read-only");
    assert_ok(us_st_open(ro, &f));
    assert_int_equal(us_st_count(f), 0); /* unchanged */
    us_st_close(f);

    /* a replaced file keeps its permission bits */
    assert_int_equal(chmod(ro, 0640), 0);
    assert_ok(us_st_write(ro, &one, 1, NULL, NULL, 0));
    assert_int_equal(stat(ro, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0640);
    unlink(ro);
    assert_int_equal(count_files_with(".tmp."), 0);
}

static void test_write_replaces_and_empty(void **state) {
    (void)state;
    const char *path = tmp_path("replace.safetensors");
    const float gamma[6] = {1, 2, 3, 4, 5, 6};
    write_sample(path, gamma);
    assert_ok(us_st_write(path, NULL, 0, NULL, NULL, 0));
    size_t len;
    unsigned char *raw = read_bytes(path, &len);
    assert_int_equal(len, 16);
    assert_memory_equal(raw + 8, "{}      ", 8);
    free(raw);
    us_st_file *f = NULL;
    assert_ok(us_st_open(path, &f));
    assert_int_equal(us_st_count(f), 0);
    assert_int_equal(us_st_meta_count(f), 0);
    us_st_close(f);
    assert_int_equal(count_files_with(".tmp."), 0);
}

/* ------------------------------------------------------------ conversions */

static void read_one(const unsigned char *img, size_t size, const char *name, float *out,
                     int64_t count) {
    us_st_file *mem = NULL, *file = NULL;
    open_both(img, size, &mem, &file);
    const us_st_entry *e = us_st_find(mem, name);
    assert_non_null(e);
    assert_ok(us_st_read_f32(mem, e, out, count));
    float *again = malloc((size_t)count * sizeof *again);
    assert_non_null(again);
    e = us_st_find(file, name);
    assert_non_null(e);
    assert_ok(us_st_read_f32(file, e, again, count));
    assert_same_bits(out, again, (size_t)count);
    free(again);
    us_st_close(mem);
    us_st_close(file);
}

static void test_f16_conversion(void **state) {
    (void)state;
    /* Little-endian half floats, with the values worked out by hand. */
    static const unsigned char data[] = {
        0x00, 0x3C, /* 0x3C00 = 1.0 */
        0x00, 0xC0, /* 0xC000 = -2.0 */
        0xFF, 0x7B, /* 0x7BFF = 65504, largest finite */
        0x01, 0x00, /* 0x0001 = 2^-24, smallest subnormal */
        0xFF, 0x03, /* 0x03FF = 1023 * 2^-24, largest subnormal */
        0x00, 0x04, /* 0x0400 = 2^-14, smallest normal */
        0x55, 0x35, /* 0x3555 = (1 + 341/1024) / 4 = 0.333251953125 */
        0x00, 0x7C, /* +inf */
        0x00, 0xFC, /* -inf */
        0x00, 0x7E, /* nan */
        0x00, 0x80, /* -0.0 */
        0x01, 0x80, /* -2^-24 */
    };
    const char *header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[3,4],\"data_offsets\":[0,24]}}";
    size_t size;
    unsigned char *img = make_image(header, strlen(header), data, sizeof data, &size);
    float v[12];
    read_one(img, size, "h", v, 12);
    free(img);
    assert_true(v[0] == 1.0f);
    assert_true(v[1] == -2.0f);
    assert_true(v[2] == 65504.0f);
    assert_true(v[3] == 0x1p-24f);
    assert_true(v[4] == 1023.0f * 0x1p-24f);
    assert_true(v[5] == 0x1p-14f);
    assert_true(v[6] == 0.333251953125f);
    assert_true(isinf(v[7]) && v[7] > 0);
    assert_true(isinf(v[8]) && v[8] < 0);
    assert_true(isnan(v[9]));
    assert_true(v[10] == 0.0f && signbit(v[10]));
    assert_true(v[11] == -0x1p-24f);
}

static void test_bf16_conversion(void **state) {
    (void)state;
    static const unsigned char data[] = {
        0x80, 0x3F, /* 0x3F80 = 1.0 */
        0x40, 0xC0, /* 0xC040 = -3.0 */
        0xAB, 0x3E, /* 0x3EAB -> float bits 0x3EAB0000 = 0.333984375 */
        0x80, 0x7F, /* +inf */
        0x80, 0xFF, /* -inf */
        0xC0, 0x7F, /* nan */
        0x01, 0x00, /* float bits 0x00010000 = 2^-133, a float32 subnormal */
        0x00, 0x00, /* 0 */
    };
    const char *header = "{\"b\":{\"dtype\":\"BF16\",\"shape\":[8],\"data_offsets\":[0,16]}}";
    size_t size;
    unsigned char *img = make_image(header, strlen(header), data, sizeof data, &size);
    float v[8];
    read_one(img, size, "b", v, 8);
    free(img);
    assert_true(v[0] == 1.0f);
    assert_true(v[1] == -3.0f);
    assert_true(v[2] == 0.333984375f);
    assert_true(isinf(v[3]) && v[3] > 0);
    assert_true(isinf(v[4]) && v[4] < 0);
    assert_true(isnan(v[5]));
    assert_true(v[6] == 0x1p-133f);
    assert_true(v[7] == 0.0f && !signbit(v[7]));
}

static void test_f64_conversion(void **state) {
    (void)state;
    static const unsigned char data[] = {
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF8, 0x3F, /* 1.5 */
        0x9A, 0x99, 0x99, 0x99, 0x99, 0x99, 0xB9, 0xBF, /* -0.1 */
        0x9C, 0x75, 0x00, 0x88, 0x3C, 0xE4, 0x37, 0x7E, /* 1e300: beyond float, inf */
        0x59, 0xF3, 0xF8, 0xC2, 0x1F, 0x6E, 0xA5, 0x01, /* 1e-300: below float, 0 */
        0x00, 0x00, 0x00, 0x00, 0x00, 0xFC, 0xEF, 0x40, /* 65504.0 */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, /* -2.0 */
    };
    /* The tensor sits after 8 bytes of padding, so begin != 0 is covered too. */
    unsigned char padded[8 + sizeof data];
    memset(padded, 0xEE, 8);
    memcpy(padded + 8, data, sizeof data);
    const char *header = "{\"d\":{\"dtype\":\"F64\",\"shape\":[2,1,3],\"data_offsets\":[8,56]}}";
    size_t size;
    unsigned char *img = make_image(header, strlen(header), padded, sizeof padded, &size);
    float v[6];
    read_one(img, size, "d", v, 6);
    free(img);
    assert_true(v[0] == 1.5f);
    assert_true(v[1] == -0.1f);
    assert_true(isinf(v[2]) && v[2] > 0);
    assert_true(v[3] == 0.0f);
    assert_true(v[4] == 65504.0f);
    assert_true(v[5] == -2.0f);
}

/* Half-float bits of a small integer 0..2047 (exact in F16). */
static uint16_t half_of_int(unsigned k) {
    if (k == 0) return 0;
    unsigned e = 0;
    while ((k >> (e + 1)) != 0) e++;
    return (uint16_t)(((e + 15) << 10) | ((k << (10 - e)) & 0x3FF));
}

static void test_f16_many_chunks(void **state) {
    (void)state;
    /* 20000 elements = 40000 bytes: several read chunks on the file path. */
    enum { N = 20000 };
    unsigned char *data = malloc(2 * N);
    assert_non_null(data);
    for (unsigned i = 0; i < N; i++) {
        uint16_t h = half_of_int(i % 2048);
        data[2 * i] = (unsigned char)(h & 0xFF);
        data[2 * i + 1] = (unsigned char)(h >> 8);
    }
    char header[128];
    snprintf(header, sizeof header,
             "{\"big\":{\"dtype\":\"F16\",\"shape\":[%d],\"data_offsets\":[0,%d]}}", N, 2 * N);
    size_t size;
    unsigned char *img = make_image(header, strlen(header), data, 2 * N, &size);
    float *v = malloc(N * sizeof *v);
    assert_non_null(v);
    read_one(img, size, "big", v, N);
    for (unsigned i = 0; i < N; i++) assert_true(v[i] == (float)(i % 2048));
    free(v);
    free(img);
    free(data);
}

/* ------------------------------------------------------- header handling */

static void test_valid_header_variants(void **state) {
    (void)state;
    /* Escaped names (a surrogate pair, \n), whitespace, gaps between ranges,
     * an empty tensor inside another's range, empty metadata. */
    const char *header =
        " {\n\t\"\\ud83d\\ude00\\n\" : {\"shape\":[2],\"dtype\":\"F32\",\"data_offsets\":[8,16]},"
        "\"z\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[10,10]},"
        "\"__metadata__\":{}}  ";
    unsigned char data[16] = {0};
    data[8 + 2] = 0x80, data[8 + 3] = 0x3F;  /* 1.0f */
    data[12 + 3] = 0x40;                     /* 2.0f */
    size_t size;
    unsigned char *img = make_image(header, strlen(header), data, sizeof data, &size);
    float v[2];
    read_one(img, size, "\xf0\x9f\x98\x80\n", v, 2);
    assert_true(v[0] == 1.0f && v[1] == 2.0f);

    us_st_file *f = NULL;
    assert_ok(us_st_open_memory(img, size, &f));
    assert_int_equal(us_st_count(f), 2);
    assert_int_equal(us_st_meta_count(f), 0);
    assert_non_null(us_st_find(f, "z"));
    us_st_close(f);
    free(img);
}

static void test_bad_sizes(void **state) {
    (void)state;
    unsigned char img[32] = {0};
    expect_bad_image(img, 0, UNETSEG_E_FORMAT, "empty");
    expect_bad_image(img, 5, UNETSEG_E_FORMAT, "too short");

    /* Header length 100, but only 10 bytes follow. */
    img[0] = 100;
    expect_bad_image(img, 18, UNETSEG_E_FORMAT, "header length 100");

    /* Header length 2^63. */
    memset(img, 0, sizeof img);
    img[7] = 0x80;
    expect_bad_image(img, sizeof img, UNETSEG_E_FORMAT, "100 MB");
    /* All ones. */
    memset(img, 0xFF, 8);
    expect_bad_image(img, sizeof img, UNETSEG_E_FORMAT, "header length");
    /* Zero-length header: no JSON at all. */
    memset(img, 0, sizeof img);
    expect_bad_image(img, 8, UNETSEG_E_FORMAT, "unexpected end");
}

static void test_bad_json(void **state) {
    (void)state;
    expect_bad_header("hello", 0, "invalid JSON");
    expect_bad_header("{\"a\":1,}", 0, "invalid JSON");
    expect_bad_header("{\"a\" 1}", 0, "column 6 (byte 6): ':' expected near '1'");
    expect_bad_header("{} x", 0, "trailing");
    expect_bad_header("{\"a\":[1 2]}", 0, "']' expected near '2'");
    expect_bad_header("{\"a\":01}", 0, "invalid token near '0'");
    expect_bad_header("{\"a\":tru}", 0, "invalid token near 'tru'");
    expect_bad_header("[1,2]", 0, "not a JSON object");
    expect_bad_header("\"str\"", 0, "not a JSON object");
    expect_bad_header("{\"a\":\"x\ty\"}", 0, "control character 0x9");
    expect_bad_header("{\"a\":\"\\x\"}", 0, "invalid escape");
    /* Truncated strings, escapes and UTF-8. */
    expect_bad_header("{\"abc", 0, "unexpected end of input: premature end of input near '\"abc'");
    expect_bad_header("{\"abc\\", 0, "invalid escape near '\"abc\\'");
    expect_bad_header("{\"a\\u12\":1}", 0, "invalid escape near '\"a\\u12\"'");
    expect_bad_header("{\"a\\u12G4\":1}", 0, "invalid escape near '\"a\\u12G'");
    expect_bad_header("{\"\\ud800\":1}", 0, "invalid Unicode '\\uD800'");
    expect_bad_header("{\"\\ud800\\u0041\":1}", 0, "invalid Unicode '\\uD800\\u0041'");
    expect_bad_header("{\"\\udc00\":1}", 0, "invalid Unicode '\\uDC00'");
    expect_bad_header("{\"a\xe2\x82\":1}", 0,
                      "column 3 (byte 3): invalid UTF-8: unable to decode byte 0xe2");
    expect_bad_header("{\"a\xc0\xaf\":1}", 0, "invalid UTF-8");       /* overlong */
    expect_bad_header("{\"a\xed\xa0\x80\":1}", 0, "invalid UTF-8");   /* surrogate */
    expect_bad_header("{\"a\xf4\x90\x80\x80\":1}", 0, "invalid UTF-8"); /* > U+10FFFF */
    expect_bad_header("{\"a\":1\xff}", 0, "invalid UTF-8: unable to decode byte 0xff near '1'");
    expect_bad_header("{\"a\":99999999999999999999}", 0, "number out of range: too big integer");
    expect_bad_header("{\"a\":1e999}", 0, "out of range");
    expect_bad_header("{\"a\":-}", 0, "invalid token near '-'");
    expect_bad_header("{\"a\":1.}", 0, "invalid token near '1.'");
    expect_bad_header("{\"a\":[", 0, "unexpected end");
    expect_bad_header("{\"a\":{\"b\":1", 0,
                      "unexpected end of input: '}' expected near end of file");
}

static void test_deep_nesting(void **state) {
    (void)state;
    enum { DEPTH = 10000 };
    char *deep = malloc(DEPTH + 1);
    assert_non_null(deep);
    memset(deep, '[', DEPTH);
    deep[DEPTH] = '\0';
    expect_bad_header(deep, 0, "nesting deeper than 64");
    /* The same inside an otherwise fine object. */
    memcpy(deep, "{\"a\":", 5);
    expect_bad_header(deep, 0, "nesting deeper than 64");
    free(deep);
}

#define TENSOR(name, dtype, shape, offs) \
    "\"" name "\":{\"dtype\":\"" dtype "\",\"shape\":" shape ",\"data_offsets\":" offs "}"

static void test_bad_entries(void **state) {
    (void)state;
    expect_bad_header("{\"w\":[]}", 16, "tensor 'w': entry is not a JSON object");
    expect_bad_header("{\"w\":{\"shape\":[4],\"data_offsets\":[0,16]}}", 16,
                      "tensor 'w': missing \"dtype\"");
    expect_bad_header("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,16]}}", 16,
                      "tensor 'w': missing \"shape\"");
    expect_bad_header("{\"w\":{\"dtype\":\"F32\",\"shape\":[4]}}", 16,
                      "tensor 'w': missing \"data_offsets\"");
    expect_bad_header("{" TENSOR("w", "I64", "[2]", "[0,16]") "}", 16, "unsupported dtype \"I64\"");
    expect_bad_header("{" TENSOR("w", "U8", "[16]", "[0,16]") "}", 16, "unsupported dtype \"U8\"");
    expect_bad_header("{\"w\":{\"dtype\":4,\"shape\":[4],\"data_offsets\":[0,16]}}", 16,
                      "dtype is not a string");
    expect_bad_header("{" TENSOR("w", "F32", "[-1]", "[0,16]") "}", 16, "shape[0]");
    expect_bad_header("{" TENSOR("w", "F32", "[2,1.5]", "[0,16]") "}", 16, "shape[1]");
    expect_bad_header("{" TENSOR("w", "F32", "[4.0]", "[0,16]") "}", 16, "shape[0]");
    expect_bad_header("{" TENSOR("w", "F32", "[\"4\"]", "[0,16]") "}", 16, "shape[0]");
    expect_bad_header("{" TENSOR("w", "F32", "4", "[0,16]") "}", 16, "shape is not an array");
    expect_bad_header("{" TENSOR("w", "F32", "[1,1,1,1,1,1,1,1,4]", "[0,16]") "}", 16, "rank 9");
    expect_bad_header("{" TENSOR("w", "F32", "[2147483647,2147483647,2147483647]", "[0,16]") "}",
                      16, "tensor 'w': byte size of the shape overflows");
    expect_bad_header("{" TENSOR("w", "F32", "[4]", "[0,32]") "}", 16, "past the data area");
    expect_bad_header("{" TENSOR("w", "F32", "[0]", "[17,17]") "}", 16, "past the data area");
    expect_bad_header("{" TENSOR("w", "F32", "[4]", "[16,0]") "}", 16, "begin 16 > end 0");
    expect_bad_header("{" TENSOR("w", "F32", "[4]", "[0,8]") "}", 16,
                      "tensor 'w': data_offsets span 8 bytes but F32 of this shape needs 16");
    expect_bad_header("{" TENSOR("w", "F16", "[4]", "[0,16]") "}", 16, "span 16 bytes");
    expect_bad_header("{" TENSOR("w", "F32", "[4]", "[0]") "}", 16, "data_offsets is not");
    expect_bad_header("{" TENSOR("w", "F32", "[4]", "[0,16,16]") "}", 16, "data_offsets is not");
    expect_bad_header("{" TENSOR("w", "F32", "[4]", "[-4,12]") "}", 16, "data_offsets is not");
    expect_bad_header("{" TENSOR("w", "F32", "[0]", "[0,9223372036854775807]") "}", 16,
                      "past the data area");
    expect_bad_header("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16],"
                      "\"extra\":1}}",
                      16, "tensor 'w': unknown key 'extra'");
    expect_bad_header("{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[4],"
                      "\"data_offsets\":[0,16]}}",
                      16, "column 27 (byte 27): duplicate object key near '\"dtype\"'");
    expect_bad_header("{" TENSOR("a\\u0000b", "F32", "[4]", "[0,16]") "}", 16, "NUL");
}

static void test_bad_layout(void **state) {
    (void)state;
    expect_bad_header("{" TENSOR("a", "F32", "[4]", "[0,16]") "," TENSOR("b", "F32", "[4]",
                                                                           "[8,24]") "}",
                      32, "tensors 'a' and 'b' overlap");
    /* Overlap with an earlier, longer range, found after a sort by begin. */
    expect_bad_header("{" TENSOR("c", "F32", "[2]", "[24,32]") "," TENSOR("a", "F32", "[8]",
                                                                            "[0,32]") ","
                          TENSOR("b", "F32", "[1]", "[4,8]") "}",
                      32, "overlap");
    expect_bad_header("{" TENSOR("a", "F32", "[4]", "[0,16]") "," TENSOR("a", "F32", "[4]",
                                                                         "[16,32]") "}",
                      32, "duplicate object key near '\"a\"'");
    expect_bad_header("{" TENSOR("a", "F32", "[4]", "[0,16]") ",\"__metadata__\":{},"
                                                              "\"__metadata__\":{}}",
                      16, "duplicate object key near '\"__metadata__\"'");
}

static void test_bad_metadata(void **state) {
    (void)state;
    expect_bad_header("{\"__metadata__\":{\"k\":1}}", 0, "__metadata__ value for 'k' is not a string");
    expect_bad_header("{\"__metadata__\":{\"k\":null}}", 0, "value for 'k'");
    expect_bad_header("{\"__metadata__\":{\"k\":{\"x\":\"y\"}}}", 0, "value for 'k'");
    expect_bad_header("{\"__metadata__\":[\"k\"]}", 0, "__metadata__ is not a JSON object");
    expect_bad_header("{\"__metadata__\":{\"k\":\"a\",\"k\":\"b\"}}", 0,
                      "column 28 (byte 28): duplicate object key near '\"k\"'");
    expect_bad_header("{\"__metadata__\":{\"k\":\"a\\u0000b\"}}", 0, "not a string (without NULs)");
}

/* ------------------------------------------------------------- reading */

static void test_open_errors(void **state) {
    (void)state;
    us_st_file *f = (us_st_file *)1;
    assert_status(us_st_open(tmp_path("does-not-exist.safetensors"), &f), UNETSEG_E_IO);
    assert_null(f);
    assert_error_mentions("cannot open");
    assert_error_mentions("does-not-exist.safetensors");

    assert_status(us_st_open(tmp_dir, &f), UNETSEG_E_IO);
    assert_error_mentions("not a regular file");
    /* a FIFO without a writer: refused at once (fopen would block for ever) */
    const char *fifo = tmp_path("fifo.safetensors");
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_status(us_st_open(fifo, &f), UNETSEG_E_IO);
    assert_null(f);
    assert_error_mentions("not a regular file");
    unlink(fifo);

    assert_status(us_st_open(NULL, &f), UNETSEG_E_INVALID_ARG);
    assert_error_mentions("NULL");
    assert_status(us_st_open("x", NULL), UNETSEG_E_INVALID_ARG);
    assert_status(us_st_open_memory(NULL, 8, &f), UNETSEG_E_INVALID_ARG);
    assert_status(us_st_open_memory("12345678", 8, NULL), UNETSEG_E_INVALID_ARG);

    /* NULL handles are harmless in the queries. */
    us_st_close(NULL);
    assert_int_equal(us_st_count(NULL), 0);
    assert_null(us_st_find(NULL, "a"));
    assert_null(us_st_meta(NULL, "a"));
    assert_int_equal(us_st_meta_count(NULL), 0);
}

static void test_read_errors(void **state) {
    (void)state;
    const char *header = "{" TENSOR("a", "F32", "[2,2]", "[0,16]") "," TENSOR("b", "F32", "[2]",
                                                                                  "[16,24]") "}";
    unsigned char data[24] = {0};
    size_t size;
    unsigned char *img = make_image(header, strlen(header), data, sizeof data, &size);
    us_st_file *mem = NULL, *file = NULL;
    open_both(img, size, &mem, &file);
    float v[4];
    const us_st_entry *a = us_st_find(mem, "a");
    assert_status(us_st_read_f32(mem, a, v, 3), UNETSEG_E_SHAPE);
    assert_error_mentions("tensor 'a' has 4 elements, not 3");
    assert_status(us_st_read_f32(mem, NULL, v, 4), UNETSEG_E_INVALID_ARG);
    assert_status(us_st_read_f32(mem, a, NULL, 4), UNETSEG_E_INVALID_ARG);
    assert_status(us_st_read_f32(NULL, a, v, 4), UNETSEG_E_INVALID_ARG);
    /* An entry of another file. */
    assert_status(us_st_read_f32(file, a, v, 4), UNETSEG_E_INVALID_ARG);
    assert_error_mentions("not from this file");

    /* The file shrinks after it was opened. */
    assert_int_equal(truncate(tmp_path("image.safetensors"), (off_t)(size - 4)), 0);
    assert_ok(us_st_read_f32(file, us_st_find(file, "a"), v, 4));
    assert_status(us_st_read_f32(file, us_st_find(file, "b"), v, 2), UNETSEG_E_FORMAT);
    assert_error_mentions("file ends inside tensor 'b'");
    us_st_close(mem);
    us_st_close(file);
    free(img);
}

/* us_st_first_non_finite(name) from memory and from the file, which must
 * agree, through a buffer of SCAN floats; returns the index it found (-1:
 * none). */
enum { SCAN = 65536 };
static float scan_buf[SCAN];

static int64_t first_bad_both(us_st_file *mem, us_st_file *file, const char *name, int64_t count) {
    int64_t from_mem = -2, from_file = -2;
    assert_ok(us_st_first_non_finite(mem, us_st_find(mem, name), count, scan_buf, SCAN, &from_mem));
    assert_ok(us_st_first_non_finite(file, us_st_find(file, name), count, scan_buf, SCAN, &from_file));
    assert_int_equal(from_mem, from_file);
    return from_mem;
}

static void test_first_non_finite(void **state) {
    (void)state;
    /* F32 of 150000 elements: three buffers of SCAN floats; the first
     * NaN sits in the second, an infinity after it in the third. F16: an infinity in the first chunk. F32 "c": all finite. */
    enum { N = 150000, H = 40 };
    const size_t f32_bytes = N * sizeof(float), bytes = 2 * f32_bytes + 2 * H;
    unsigned char *data = calloc(1, bytes);
    assert_non_null(data);
    float *a = (float *)data, *c = (float *)(data + f32_bytes);
    for (int i = 0; i < N; i++) a[i] = c[i] = (float)(i % 1000) - 500.0f;
    a[70001] = NAN;
    a[140000] = -INFINITY;
    unsigned char *h = data + 2 * f32_bytes;
    for (int i = 0; i < H; i++) {
        uint16_t v = i == 33 ? 0x7C00 /* +inf */ : half_of_int((unsigned)i);
        h[2 * i] = (unsigned char)(v & 0xFF);
        h[2 * i + 1] = (unsigned char)(v >> 8);
    }
    char header[512];
    snprintf(header, sizeof header,
             "{\"a\":{\"dtype\":\"F32\",\"shape\":[%d],\"data_offsets\":[0,%zu]},"
             "\"c\":{\"dtype\":\"F32\",\"shape\":[%d],\"data_offsets\":[%zu,%zu]},"
             "\"h\":{\"dtype\":\"F16\",\"shape\":[%d],\"data_offsets\":[%zu,%zu]}}",
             N, f32_bytes, N, f32_bytes, 2 * f32_bytes, H, 2 * f32_bytes, bytes);
    size_t size;
    unsigned char *img = make_image(header, strlen(header), data, bytes, &size);
    us_st_file *mem = NULL, *file = NULL;
    open_both(img, size, &mem, &file);
    assert_int_equal(first_bad_both(mem, file, "a", N), 70001);
    assert_int_equal(first_bad_both(mem, file, "c", N), -1);
    assert_int_equal(first_bad_both(mem, file, "h", H), 33);
    /* the scan leaves the file where a read finds its tensors: reading
     * after it gives the same values as reading alone */
    float *back = malloc(f32_bytes);
    assert_non_null(back);
    assert_ok(us_st_read_f32(file, us_st_find(file, "c"), back, N));
    assert_same_bits(back, c, N);
    /* a buffer of the whole size holds the tensor after the scan */
    memset(back, 0, f32_bytes);
    int64_t none = -2;
    assert_ok(us_st_first_non_finite(file, us_st_find(file, "c"), N, back, N, &none));
    assert_int_equal(none, -1);
    assert_same_bits(back, c, N);

    /* a buffer of any size finds the same element */
    int64_t bad = 5;
    const us_st_entry *ea = us_st_find(mem, "a");
    assert_ok(us_st_first_non_finite(file, us_st_find(file, "a"), N, scan_buf, 7, &bad));
    assert_int_equal(bad, 70001);
    assert_ok(us_st_first_non_finite(mem, ea, N, scan_buf, SCAN - 1, &bad));
    assert_int_equal(bad, 70001);
    /* the checks and messages of us_st_read_f32 */
    assert_status(us_st_first_non_finite(mem, ea, N - 1, scan_buf, SCAN, &bad), UNETSEG_E_SHAPE);
    assert_error_mentions("tensor 'a' has 150000 elements, not 149999");
    assert_int_equal(bad, -1);
    assert_status(us_st_first_non_finite(file, ea, N, scan_buf, SCAN, &bad), UNETSEG_E_INVALID_ARG);
    assert_error_mentions("not from this file");
    assert_status(us_st_first_non_finite(NULL, ea, N, scan_buf, SCAN, &bad), UNETSEG_E_INVALID_ARG);
    assert_status(us_st_first_non_finite(mem, NULL, N, scan_buf, SCAN, &bad), UNETSEG_E_INVALID_ARG);
    assert_status(us_st_first_non_finite(mem, ea, N, NULL, SCAN, &bad), UNETSEG_E_INVALID_ARG);
    assert_status(us_st_first_non_finite(mem, ea, N, scan_buf, 0, &bad), UNETSEG_E_INVALID_ARG);
    assert_status(us_st_first_non_finite(mem, ea, N, scan_buf, SCAN, NULL), UNETSEG_E_INVALID_ARG);
    /* a file cut inside the F16 tensor, after the scan passed "c" */
    assert_int_equal(truncate(tmp_path("image.safetensors"), (off_t)(size - 4)), 0);
    assert_int_equal(first_bad_both(mem, file, "c", N), -1);
    bad = 5;
    assert_status(us_st_first_non_finite(file, us_st_find(file, "h"), H, scan_buf, SCAN, &bad),
                  UNETSEG_E_FORMAT);
    assert_error_mentions("file ends inside tensor 'h'");
    assert_int_equal(bad, -1);
    us_st_close(mem);
    us_st_close(file);
    free(back);
    free(img);
    free(data);
}

/* ------------------------------------------------------------- writing */

static void test_write_errors(void **state) {
    (void)state;
    const int64_t neg[1] = {-2};
    const int64_t two[1] = {2};
    const float data[2] = {1, 2};
    const char *path = tmp_path("w.safetensors");
    const char *k2[2] = {"k", "k"}, *v2[2] = {"a", "b"};

    us_st_tensor t[2] = {{"a", 1, two, data}, {"a", 1, two, data}};
    assert_status(us_st_write(path, t, 2, NULL, NULL, 0), UNETSEG_E_INVALID_ARG);
    assert_error_mentions("duplicate tensor name 'a'");
    t[1].name = NULL;
    assert_status(us_st_write(path, t, 2, NULL, NULL, 0), UNETSEG_E_INVALID_ARG);
    assert_error_mentions("tensor 1 has no valid UTF-8 name");
    t[1].name = "b\xff";
    assert_status(us_st_write(path, t, 2, NULL, NULL, 0), UNETSEG_E_INVALID_ARG);
    assert_error_mentions("UTF-8");
    t[1].name = "__metadata__";
    assert_status(us_st_write(path, t, 2, NULL, NULL, 0), UNETSEG_E_INVALID_ARG);
    assert_error_mentions("reserved");
    t[1].name = "b";
    t[1].shape = neg;
    assert_status(us_st_write(path, t, 2, NULL, NULL, 0), UNETSEG_E_INVALID_ARG);
    assert_error_mentions("negative dimension -2");
    t[1].shape = two;
    t[1].data = NULL;
    assert_status(us_st_write(path, t, 2, NULL, NULL, 0), UNETSEG_E_INVALID_ARG);
    assert_error_mentions("has no data");
    t[1].data = data;
    t[1].rank = 9;
    assert_status(us_st_write(path, t, 2, NULL, NULL, 0), UNETSEG_E_INVALID_ARG);
    assert_error_mentions("bad rank");
    t[1].rank = 1;
    assert_status(us_st_write(path, t, 2, k2, v2, 2), UNETSEG_E_INVALID_ARG);
    assert_error_mentions("duplicate metadata key 'k'");
    assert_status(us_st_write(path, t, 2, NULL, v2, 1), UNETSEG_E_INVALID_ARG);
    assert_status(us_st_write(path, NULL, 2, NULL, NULL, 0), UNETSEG_E_INVALID_ARG);
    assert_status(us_st_write(path, t, -1, NULL, NULL, 0), UNETSEG_E_INVALID_ARG);
    assert_status(us_st_write(NULL, t, 2, NULL, NULL, 0), UNETSEG_E_INVALID_ARG);
    assert_int_equal(access(path, F_OK), -1); /* nothing was written */

    /* A missing directory, and a destination that is a directory. */
    assert_status(us_st_write(tmp_path("no-such-dir/x.safetensors"), t, 2, NULL, NULL, 0),
                  UNETSEG_E_IO);
    assert_error_mentions("temporary file");
    const char *dir = tmp_path("a-directory");
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_status(us_st_write(dir, t, 2, NULL, NULL, 0), UNETSEG_E_IO);
    assert_error_mentions("a directory, not a regular file: not replaced");
    assert_int_equal(count_files_with(".tmp."), 0);
}

/* ------------------------------------------------------------ JSON itself */

/* us_json_load: jansson's values, the limits checked before it runs, and
 * the position in its messages. */
static void test_json_values(void **state) {
    (void)state;
    const char *text = "[-9223372036854775808, 9223372036854775807, -0, 0.5, -1.25e2, 1E+2,"
                       " true, false, null, \"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u20AC\", {}, []]";
    json_t *v = NULL;
    assert_ok(us_json_load(text, strlen(text), "test", &v));
    assert_true(json_is_array(v));
    assert_int_equal(json_array_size(v), 12);
    assert_true(json_integer_value(json_array_get(v, 0)) == INT64_MIN);
    assert_true(json_integer_value(json_array_get(v, 1)) == INT64_MAX);
    assert_true(json_is_integer(json_array_get(v, 2)));
    assert_true(json_is_real(json_array_get(v, 3)) && json_real_value(json_array_get(v, 3)) == 0.5);
    assert_true(json_real_value(json_array_get(v, 4)) == -125.0);
    assert_true(json_is_real(json_array_get(v, 5)));
    assert_true(json_is_true(json_array_get(v, 6)) && json_is_false(json_array_get(v, 7)));
    assert_true(json_is_null(json_array_get(v, 8)));
    assert_string_equal(json_string_value(json_array_get(v, 9)),
                        "\"\\/\b\f\n\r\t\xc3\xa9\xe2\x82\xac");
    assert_int_equal(json_string_length(json_array_get(v, 9)), 13);
    json_decref(v);

    assert_status(us_json_load("[9223372036854775808]", 21, "test", &v), UNETSEG_E_FORMAT);
    assert_null(v);
    assert_error_mentions("test: invalid JSON at line 1, column 20 (byte 20): number out of range");
    assert_status(us_json_load("[-9223372036854775809]", 22, "test", &v), UNETSEG_E_FORMAT);
    assert_status(us_json_load("", 0, "test", &v), UNETSEG_E_FORMAT);
    assert_status(us_json_load("+1", 2, "test", &v), UNETSEG_E_FORMAT);
    assert_status(us_json_load("NaN", 3, "test", &v), UNETSEG_E_FORMAT);
    assert_status(us_json_load("{\"a\":\n  1,\n \"a\":2}", 17, "test", &v), UNETSEG_E_FORMAT);
    assert_error_mentions("line 3, column 4 (byte 15): duplicate object key near '\"a\"'");
    /* Exactly 64 levels are fine, 65 are not. */
    char deep[130];
    memset(deep, '[', 65);
    memset(deep + 65, ']', 65);
    assert_status(us_json_load(deep, 130, "test", &v), UNETSEG_E_FORMAT);
    assert_error_mentions("at byte 64: nesting deeper than 64 levels");
    assert_ok(us_json_load(deep + 1, 128, "test", &v));
    json_decref(v);
    /* Brackets inside strings are not nesting. */
    memset(deep, '[', sizeof deep);
    deep[0] = deep[129] = '"';
    assert_ok(us_json_load(deep, 130, "test", &v));
    json_decref(v);
    /* More than 2^20 values and keys (the array counts as one): refused
     * before jansson allocates them. */
    size_t n = US_JSON_MAX_VALUES;
    char *many = malloc(2 * n + 1);
    assert_non_null(many);
    many[0] = '[';
    for (size_t i = 0; i < n; i++) {
        many[2 * i + 1] = '0';
        many[2 * i + 2] = i + 1 < n ? ',' : ']';
    }
    assert_status(us_json_load(many, 2 * n + 1, "test", &v), UNETSEG_E_FORMAT);
    assert_error_mentions("more than 1048576 values");
    many[2 * n - 2] = ']'; /* one value fewer: fine */
    assert_ok(us_json_load(many, 2 * n - 1, "test", &v));
    assert_int_equal(json_array_size(v), n - 1);
    json_decref(v);
    free(many);
    /* Text need not be NUL-terminated: only len bytes are read. */
    assert_ok(us_json_load("12345", 2, "test", &v));
    assert_true(json_integer_value(v) == 12);
    json_decref(v);
    assert_status(us_json_load("1", 1, "test", NULL), UNETSEG_E_INVALID_ARG);
    assert_status(us_json_load(NULL, 1, "test", &v), UNETSEG_E_INVALID_ARG);
}

static void test_json_utf8(void **state) {
    (void)state;
    assert_int_equal(us_json_utf8_check("\xf0\x9f\x98\x80 ok"), 1);
    assert_int_equal(us_json_utf8_check(""), 1);
    assert_int_equal(us_json_utf8_check("\xf0\x9f\x98"), 0);
    assert_int_equal(us_json_utf8_check("\xe0\x80\x80"), 0);     /* overlong */
    assert_int_equal(us_json_utf8_check("\xed\xa0\x80"), 0);     /* surrogate */
    assert_int_equal(us_json_utf8_check("\xf4\x90\x80\x80"), 0); /* > U+10FFFF */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_read_roundtrip),
        cmocka_unit_test(test_write_replaces_and_empty),
        cmocka_unit_test(test_write_target_rule),
        cmocka_unit_test(test_f16_conversion),
        cmocka_unit_test(test_bf16_conversion),
        cmocka_unit_test(test_f64_conversion),
        cmocka_unit_test(test_f16_many_chunks),
        cmocka_unit_test(test_valid_header_variants),
        cmocka_unit_test(test_bad_sizes),
        cmocka_unit_test(test_bad_json),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_bad_entries),
        cmocka_unit_test(test_bad_layout),
        cmocka_unit_test(test_bad_metadata),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_read_errors),
        cmocka_unit_test(test_first_non_finite),
        cmocka_unit_test(test_write_errors),
        cmocka_unit_test(test_json_values),
        cmocka_unit_test(test_json_utf8),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
