#include "images.h"
#include "files.h"
#include "image_bytes.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spng.h>
#include <stb/stb_image.h>
#include <stb/stb_image_resize.h>
#include <turbojpeg.h>

/* A new zeroed image; 0 after a message if out of memory. */
static int image_alloc(int w, int h, int c, cli_image *out) {
    out->w = w, out->h = h, out->c = c;
    out->px = calloc((size_t)w * (size_t)h * (size_t)c, sizeof(float));
    if (!out->px)
        fprintf(stderr, "unetseg: out of memory for an image of %dx%d pixels x %d channel(s)\n", w, h, c);
    return out->px != NULL;
}

void cli_image_free(cli_image *img) {
    free(img->px);
    img->px = NULL;
}

static int64_t max_side = CLI_IMAGE_MAX_SIDE, max_pixels = CLI_IMAGE_MAX_PIXELS;

void cli_image_set_limits(int64_t side, int64_t pixels) { max_side = side, max_pixels = pixels; }
void cli_image_set_max_pixels(int64_t pixels) { max_pixels = pixels; }

/* 1 if a w x h image is within the limits; else 0 with a message. Empty
 * images are refused too: stb takes some (a PNM of 0 rows) and nothing
 * downstream can resize or index them. */
static int size_ok(int64_t w, int64_t h, const char *name) {
    if (w < 1 || h < 1) {
        fprintf(stderr, "unetseg: %s: empty image (%lldx%lld)\n", name, (long long)w, (long long)h);
        return 0;
    }
    if (w > max_side || h > max_side || w * h > max_pixels) {
        fprintf(stderr, "unetseg: %s: image of %lldx%lld pixels, more than %lld a side or %lld in all"
                " (--max-pixels raises the second limit)\n",
                name, (long long)w, (long long)h, (long long)max_side, (long long)max_pixels);
        return 0;
    }
    return 1;
}

/* RGBA8 pixels (w * h of them) into `out` with c channels: gray is stb's
 * luma (r*77 + g*150 + b*29) >> 8, 2 channels are gray and alpha. */
static int from_rgba8(const unsigned char *rgba, int w, int h, int c, cli_image *out) {
    if (!image_alloc(w, h, c, out)) return 0;
    for (size_t p = 0; p < (size_t)w * h; p++) {
        const unsigned char *s = rgba + 4 * p;
        float *d = out->px + p * (size_t)c;
        if (c <= 2) {
            d[0] = (float)((s[0] * 77 + s[1] * 150 + s[2] * 29) >> 8);
            if (c == 2) d[1] = s[3];
        } else {
            for (int k = 0; k < c; k++) d[k] = s[k];
        }
    }
    return 1;
}

/* PNG through Debian's libspng, built for untrusted input: it checks every
 * chunk length and CRC against the buffer, and the limits below bound the
 * image's sides and the ancillary chunks it keeps (text, ICC profiles,
 * EXIF), so a hostile file is refused before it costs memory. */
#define PNG_CHUNK_LIMIT ((size_t)1 << 24) /* one chunk kept in memory */
#define PNG_CACHE_LIMIT ((size_t)1 << 26) /* all chunks kept */

static int decode_png(const void *bytes, size_t size, const char *name, int channels,
                      cli_image *out) {
    spng_ctx *ctx = spng_ctx_new(0);
    if (!ctx) {
        fprintf(stderr, "unetseg: %s: out of memory for a PNG decoder\n", name);
        return 0;
    }
    struct spng_ihdr ihdr;
    struct spng_trns trns;
    unsigned char *rgba = NULL;
    size_t len = 0;
    int ok = 0, err = spng_set_image_limits(ctx, (uint32_t)max_side, (uint32_t)max_side);
    if (!err) err = spng_set_chunk_limits(ctx, PNG_CHUNK_LIMIT, PNG_CACHE_LIMIT);
    if (!err) err = spng_set_png_buffer(ctx, bytes, size);
    if (!err) err = spng_get_ihdr(ctx, &ihdr);
    if (err) {
        fprintf(stderr, "unetseg: %s: cannot read PNG: %s\n", name, spng_strerror(err));
    } else if (size_ok(ihdr.width, ihdr.height, name)) {
        /* the file's channels as stb counts them: a tRNS chunk adds alpha */
        static const int colour_channels[7] = {1, 0, 3, 3, 2, 0, 4};
        int n = ihdr.color_type <= 6 ? colour_channels[ihdr.color_type] : 4;
        if ((n == 1 || n == 3) && spng_get_trns(ctx, &trns) == 0) n++;
        err = spng_decoded_image_size(ctx, SPNG_FMT_RGBA8, &len);
        if (!err && !(rgba = malloc(len))) err = SPNG_EMEM;
        if (!err) err = spng_decode_image(ctx, rgba, len, SPNG_FMT_RGBA8, SPNG_DECODE_TRNS);
        if (err)
            fprintf(stderr, "unetseg: %s: cannot read PNG: %s\n", name, spng_strerror(err));
        else
            ok = from_rgba8(rgba, (int)ihdr.width, (int)ihdr.height, channels ? channels : n, out);
    }
    free(rgba);
    spng_ctx_free(ctx);
    return ok;
}

/* A JPEG spends at least one bit on each 8 x 8 block of its fullest
 * component (a Huffman code is at least one bit), so a file must have a
 * byte for every 8 blocks of its frame: a 64 x 64 JPEG patched to claim
 * 16000 x 16000 is refused before 768 MB of pixels are reserved for it. */
static int jpeg_long_enough(int64_t w, int64_t h, size_t size) {
    return (uint64_t)((w + 7) / 8 * ((h + 7) / 8) / 8) <= size;
}

/* JPEG through Debian's libjpeg-turbo (its TurboJPEG 2.1 API): any warning
 * (a corrupt or truncated file, which libjpeg would finish in gray) stops
 * the decoding, and progressive files are limited to 500 scans. CMYK files
 * (stored inverted, as Adobe writes them) become RGB as stb made them. */
static int decode_jpeg(const void *bytes, size_t size, const char *name, int channels,
                       cli_image *out) {
    tjhandle tj = tjInitDecompress();
    if (!tj) {
        fprintf(stderr, "unetseg: %s: out of memory for a JPEG decoder\n", name);
        return 0;
    }
    int w = 0, h = 0, subsamp = 0, space = 0, ok = 0;
    unsigned char *px = NULL;
    if (tjDecompressHeader3(tj, bytes, (unsigned long)size, &w, &h, &subsamp, &space) != 0) {
        fprintf(stderr, "unetseg: %s: cannot read JPEG: %s\n", name, tjGetErrorStr2(tj));
    } else if (!jpeg_long_enough(w, h, size)) {
        fprintf(stderr,
                "unetseg: %s: JPEG file too short for the pixels its header claims (%dx%d)\n", name,
                w, h);
    } else if (size_ok(w, h, name)) {
        const int cmyk = space == TJCS_CMYK || space == TJCS_YCCK;
        if (!(px = malloc((size_t)w * h * 4))) {
            fprintf(stderr, "unetseg: %s: out of memory for %dx%d pixels\n", name, w, h);
        } else if (tjDecompress2(tj, bytes, (unsigned long)size, px, w, 0, h,
                                 cmyk ? TJPF_CMYK : TJPF_RGBA,
                                 TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS) != 0) {
            fprintf(stderr, "unetseg: %s: cannot read JPEG: %s\n", name, tjGetErrorStr2(tj));
        } else {
            for (size_t p = 0; cmyk && p < (size_t)w * h; p++) {
                unsigned char *q = px + 4 * p, k = q[3];
                for (int i = 0; i < 3; i++) q[i] = (unsigned char)((q[i] * k + 127) / 255);
                q[3] = 255;
            }
            ok = from_rgba8(px, w, h, channels ? channels : space == TJCS_GRAY ? 1 : 3, out);
        }
    }
    free(px);
    tjDestroy(tj);
    return ok;
}

/* BMP, which neither library reads, through stb_image, after
 * image_bytes.c's check that the file holds the rows its header claims:
 * stb allocates what the header says before it reads a pixel, and decodes
 * the rows missing from a short file as zeros. */
static int decode_bmp(const void *bytes, size_t size, const char *name, int channels,
                      cli_image *out) {
    int w, h, n;
    if (!stbi_info_from_memory(bytes, (int)size, &w, &h, &n)) {
        fprintf(stderr, "unetseg: %s: cannot read image: %s\n", name, stbi_failure_reason());
        return 0;
    }
    if (!size_ok(w, h < 0 ? -(int64_t)h : h, name)) return 0; /* stb: top-down is negative */
    unsigned char *data = stbi_load_from_memory(bytes, (int)size, &w, &h, &n, channels);
    if (!data) {
        fprintf(stderr, "unetseg: %s: cannot read image: %s\n", name, stbi_failure_reason());
        return 0;
    }
    const int c = channels ? channels : n;
    /* stb parsed the header twice: the limits must hold for what it decoded */
    int ok = size_ok(w, h, name) && c >= 1 && c <= 4;
    if (ok && !(ok = image_alloc(w, h, c, out))) fprintf(stderr, "unetseg: %s: not decoded\n", name);
    for (size_t i = 0; ok && i < (size_t)w * h * c; i++) out->px[i] = data[i];
    stbi_image_free(data);
    return ok;
}

int cli_image_decode(const void *bytes, size_t size, const char *name, int channels,
                     cli_image *out) {
    out->px = NULL;
    if (channels < 0 || channels > 4) {
        fprintf(stderr, "unetseg: %s: images have 1 to 4 channels, not %d\n", name, channels);
        return 0;
    }
    if (size > INT_MAX) { /* stb's length is an int */
        fprintf(stderr, "unetseg: %s: image files of 2 GB and more are not read\n", name);
        return 0;
    }
    const char *problem = cli_image_bytes_problem(bytes, size);
    if (problem) {
        fprintf(stderr, "unetseg: %s: %s\n", name, problem);
        return 0;
    }
    switch (cli_image_format(bytes, size)) {
    case CLI_IMAGE_PNG: return decode_png(bytes, size, name, channels, out);
    case CLI_IMAGE_JPEG: return decode_jpeg(bytes, size, name, channels, out);
    default: return decode_bmp(bytes, size, name, channels, out);
    }
}

/* The whole file in a new buffer (NULL with errno set on failure). stb
 * takes an int length, so files of 2 GB and more are refused. */
static unsigned char *read_file(const char *path, size_t *size) {
    const size_t max = (size_t)INT_MAX + 1;
    FILE *f = cli_open_input(path); /* a FIFO or device: refused, not waited on */
    if (!f) return NULL;
    unsigned char *data = NULL;
    size_t n = 0, cap = 0, got = 1;
    int err = 0;
    while (!err && got > 0) {
        if (n == cap) {
            size_t grow = cap ? (2 * cap < max ? 2 * cap : max) : 65536;
            unsigned char *grown = n < max ? realloc(data, grow) : NULL;
            if (!grown) {
                err = n < max ? ENOMEM : EFBIG;
                break;
            }
            data = grown, cap = grow;
        }
        errno = 0;
        got = fread(data + n, 1, cap - n, f);
        n += got;
        if (ferror(f)) err = errno ? errno : EIO; /* e.g. EISDIR */
    }
    fclose(f);
    if (err) {
        free(data);
        errno = err;
        return NULL;
    }
    *size = n;
    return data;
}

int cli_image_read(const char *path, int channels, cli_image *out) {
    size_t size = 0;
    errno = 0;
    unsigned char *bytes = read_file(path, &size);
    if (!bytes) {
        if (errno) fprintf(stderr, "unetseg: %s: %s\n", path, strerror(errno)); /* else reported */
        return 0;
    }
    int ok = cli_image_decode(bytes, size, path, channels, out);
    free(bytes);
    return ok;
}

int cli_image_resize(const cli_image *in, int w, int h, cli_image *out) {
    if (!image_alloc(w, h, in->c, out)) return 0;
    if (w == in->w && h == in->h) { /* stb's filter would blur even at scale 1 */
        memcpy(out->px, in->px, (size_t)w * h * in->c * sizeof(float));
        return 1;
    }
    if (!stbir_resize_float(in->px, in->w, in->h, 0, out->px, w, h, 0, in->c)) {
        fprintf(stderr, "unetseg: cannot resize an image of %dx%d to %dx%d (out of memory)\n", in->w,
                in->h, w, h);
        cli_image_free(out);
        return 0;
    }
    return 1;
}

/* PNG writing through libspng: zlib's fastest level and no row filters.
 * The CLI's pictures are masks, probability and heat maps, overlays and
 * plots, which filtering shrinks little; stb_image_write (its own deflate,
 * always filtering) took 5-8x as long (19x for a clean mask) for the same
 * or larger files (a 256x256 mask 4.05 -> 0.50 ms, an RGB overlay 19.0 ->
 * 3.5 ms; Zen 5, docs/PERFORMANCE.md "Image files"). */
typedef struct png_job {
    const cli_image *img;
    const unsigned char *bytes;
} png_job;

static int write_png_to(FILE *f, void *ctx) {
    const png_job *job = ctx;
    const cli_image *img = job->img;
    const uint8_t colour = img->c == 1 ? SPNG_COLOR_TYPE_GRAYSCALE : SPNG_COLOR_TYPE_TRUECOLOR;
    struct spng_ihdr ihdr = {.width = (uint32_t)img->w,
                             .height = (uint32_t)img->h,
                             .bit_depth = 8,
                             .color_type = colour};
    spng_ctx *enc = spng_ctx_new(SPNG_CTX_ENCODER);
    int err = enc ? 0 : SPNG_EMEM;
    if (!err) err = spng_set_option(enc, SPNG_IMG_COMPRESSION_LEVEL, 1);
    if (!err) err = spng_set_option(enc, SPNG_FILTER_CHOICE, SPNG_FILTER_CHOICE_NONE);
    if (!err) err = spng_set_png_file(enc, f);
    if (!err) err = spng_set_ihdr(enc, &ihdr);
    if (!err)
        err = spng_encode_image(enc, job->bytes, (size_t)img->w * img->h * img->c, SPNG_FMT_PNG,
                                SPNG_ENCODE_FINALIZE);
    spng_ctx_free(enc);
    /* cli_write_file reports errno: a failed fwrite (SPNG_IO_ERROR) left its
     * own; anything else libspng refuses is not an I/O error */
    if (err == SPNG_EMEM)
        errno = ENOMEM;
    else if (err == SPNG_IO_ERROR && !errno)
        errno = EIO;
    else if (err && err != SPNG_IO_ERROR)
        errno = EINVAL;
    return !err;
}

int cli_image_write_png(const char *path, const cli_image *img, float lo, float hi) {
    if (img->c != 1 && img->c != 3) { /* the CLI writes gray and RGB only */
        fprintf(stderr, "unetseg: %s: cannot write an image of %d channels as PNG\n", path, img->c);
        return 0;
    }
    size_t n = (size_t)img->w * img->h * img->c;
    unsigned char *bytes = malloc(n);
    if (!bytes) {
        fprintf(stderr, "unetseg: %s: out of memory for a %dx%d image\n", path, img->w, img->h);
        return 0;
    }
    float scale = hi > lo ? 255.0f / (hi - lo) : 0.0f;
    for (size_t i = 0; i < n; i++) {
        float v = (img->px[i] - lo) * scale;
        bytes[i] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5f);
    }
    png_job job = {img, bytes};
    int ok = cli_write_file(path, write_png_to, &job); /* reports failures */
    free(bytes);
    return ok;
}

/* A few anchors of a viridis-like scale (dark blue -> green -> yellow). */
static void colour(float t, float *rgb) {
    static const float anchors[5][3] = {
        {68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    float x = t * 4;
    int i = x >= 4 ? 3 : (int)x;
    float f = x - i;
    for (int k = 0; k < 3; k++) rgb[k] = anchors[i][k] + (anchors[i + 1][k] - anchors[i][k]) * f;
}

int cli_heatmap(const cli_image *gray, float lo, float hi, cli_image *out) {
    const int bar = gray->w >= 32 ? gray->w / 16 : 2, gap = bar / 2;
    if (!image_alloc(gray->w + gap + bar, gray->h, 3, out)) return 0;
    float span = hi > lo ? hi - lo : 1.0f;
    for (int y = 0; y < gray->h; y++) {
        for (int x = 0; x < gray->w; x++)
            colour((gray->px[(size_t)y * gray->w * gray->c + (size_t)x * gray->c] - lo) / span,
                   out->px + ((size_t)y * out->w + x) * 3);
        /* the colour bar: top = hi, bottom = lo */
        float t = gray->h > 1 ? 1.0f - (float)y / (float)(gray->h - 1) : 1.0f;
        for (int x = gray->w + gap; x < out->w; x++) colour(t, out->px + ((size_t)y * out->w + x) * 3);
    }
    return 1;
}

int cli_panel(const cli_image *const *parts, int n, cli_image *out) {
    int w = 0, h = parts[0]->h;
    for (int i = 0; i < n; i++) w += parts[i]->w + (i ? 4 : 0);
    if (!image_alloc(w, h, 3, out)) return 0;
    for (size_t i = 0; i < (size_t)w * h * 3; i++) out->px[i] = 255; /* white gaps */
    int x0 = 0;
    for (int i = 0; i < n; i++) {
        for (int y = 0; y < h && y < parts[i]->h; y++)
            memcpy(out->px + ((size_t)y * w + x0) * 3, parts[i]->px + (size_t)y * parts[i]->w * 3,
                   (size_t)parts[i]->w * 3 * sizeof(float));
        x0 += parts[i]->w + 4;
    }
    return 1;
}

int cli_to_rgb(const cli_image *in, float scale, cli_image *out) {
    if (!image_alloc(in->w, in->h, 3, out)) return 0;
    for (size_t p = 0; p < (size_t)in->w * in->h; p++)
        for (int k = 0; k < 3; k++) out->px[p * 3 + k] = in->px[p * in->c + (in->c == 3 ? k : 0)] * scale;
    return 1;
}

int cli_image_scale_nearest(const cli_image *in, int factor, cli_image *out) {
    if (!image_alloc(in->w * factor, in->h * factor, in->c, out)) return 0;
    for (int y = 0; y < out->h; y++)
        for (int x = 0; x < out->w; x++)
            memcpy(out->px + ((size_t)y * out->w + x) * in->c,
                   in->px + ((size_t)(y / factor) * in->w + x / factor) * in->c,
                   (size_t)in->c * sizeof(float));
    return 1;
}
