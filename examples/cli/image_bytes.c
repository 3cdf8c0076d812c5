/* Checks on an image file's bytes before a decoder sees them (see
 * image_bytes.h). */
#include "image_bytes.h"

#include <stdint.h>
#include <string.h>

/* By the first bytes, whatever the file is called. stb_image also decodes
 * GIF, PSD, PIC, PNM, HDR and TGA: decoders that saw far less use, and
 * 2.27's PNM reader converts 16-bit samples with its 8-bit routine (reading
 * past the buffer) and leaves the pixels of a short file unset. */
enum cli_image_format cli_image_format(const unsigned char *p, size_t n) {
    if (n >= 8 && !memcmp(p, "\x89PNG\r\n\x1a\n", 8)) return CLI_IMAGE_PNG;
    if (n >= 2 && p[0] == 0xFF && p[1] == 0xD8) return CLI_IMAGE_JPEG;
    if (n >= 2 && p[0] == 'B' && p[1] == 'M') return CLI_IMAGE_BMP;
    return CLI_IMAGE_OTHER;
}

static uint32_t le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* stb decodes the pixels missing from a short BMP as zeros: a 66-byte file
 * that claims 16000 x -16000 pixels cost gigabytes. An uncompressed BMP
 * holds its rows (each padded to 4 bytes) from the pixel-data offset, so
 * its length is known: the file must hold every row (the last one may lack
 * its padding). RLE (compression 1, 2) stb refuses itself; a header too short
 * to read is left to stb. */
static int bmp_long_enough(const unsigned char *p, size_t n) {
    if (n < 26) return 1;
    const uint32_t offset = le32(p + 10), hsz = le32(p + 14);
    int64_t w, h, bpp, compression = 0;
    if (hsz == 12) {
        w = p[18] | p[19] << 8, h = p[20] | p[21] << 8, bpp = p[24] | p[25] << 8;
    } else {
        if (n < 34) return 1;
        w = (int32_t)le32(p + 18), h = (int32_t)le32(p + 22), bpp = p[28] | p[29] << 8;
        compression = le32(p + 30);
    }
    h = h < 0 ? -h : h;
    /* sides beyond 2^20 are refused by the size limits (65536 at most) after
     * this; below, the products fit easily */
    if (compression == 1 || compression == 2 || w <= 0 || h == 0 || w > 1 << 20 || h > 1 << 20 ||
        bpp <= 0 || bpp > 32)
        return 1;
    const int64_t start = offset > 14 + (int64_t)hsz ? offset : 14 + (int64_t)hsz;
    const int64_t row = (w * bpp + 31) / 32 * 4, last = (w * bpp + 7) / 8;
    return (uint64_t)(start + row * (h - 1) + last) <= n;
}

const char *cli_image_bytes_problem(const unsigned char *p, size_t n) {
    enum cli_image_format format = cli_image_format(p, n);
    if (format == CLI_IMAGE_OTHER) return "not a PNG, JPEG or BMP file";
    if (format == CLI_IMAGE_BMP && !bmp_long_enough(p, n))
        return "BMP file too short for the pixels its header claims";
    return NULL;
}
