/* Checks on an image file's bytes before stb_image sees them (see
 * image_bytes.h). */
#include "image_bytes.h"

#include <stdint.h>
#include <string.h>

/* The formats the CLI takes (PNG, JPEG, BMP), told apart by their first
 * bytes as stb does. stb_image also decodes GIF, PSD, PIC, PNM, HDR and TGA
 * whatever the file is called: decoders that saw far less use, and 2.27's
 * PNM reader converts 16-bit samples with its 8-bit routine (reading past
 * the buffer) and leaves the pixels of a short file unset. */
enum image_format { FORMAT_OTHER, FORMAT_PNG, FORMAT_JPEG, FORMAT_BMP };

static enum image_format image_format(const unsigned char *p, size_t n) {
    if (n >= 8 && !memcmp(p, "\x89PNG\r\n\x1a\n", 8)) return FORMAT_PNG;
    if (n >= 2 && p[0] == 0xFF && p[1] == 0xD8) return FORMAT_JPEG;
    if (n >= 2 && p[0] == 'B' && p[1] == 'M') return FORMAT_BMP;
    return FORMAT_OTHER;
}

/* stb trusts the length of a PNG chunk: an IDAT that claims 1 GB made it
 * reserve 2 GB for a 90-byte file. So the chunks up to IEND must lie in
 * the file (a missing final CRC, which stb does not read, is let pass).
 * An empty IDAT is refused too: 2.27 copies it into its data buffer before
 * allocating one (NULL + 0, undefined behaviour that fuzz_images' UBSan
 * stops at); encoders do not write empty IDATs. */
static const char *png_chunks_problem(const unsigned char *p, size_t n) {
    for (size_t at = 8; n - at >= 8;) {
        const uint32_t len = (uint32_t)p[at] << 24 | (uint32_t)p[at + 1] << 16 |
                             (uint32_t)p[at + 2] << 8 | p[at + 3];
        if (len > n - at - 8) return "corrupt PNG: a chunk runs past the end of the file";
        if (!memcmp(p + at + 4, "IEND", 4)) break;
        if (len == 0 && !memcmp(p + at + 4, "IDAT", 4)) return "corrupt PNG: an empty IDAT chunk";
        at += 8 + (size_t)len;
        at += n - at < 4 ? n - at : 4; /* the CRC */
    }
    return NULL;
}

/* stb_image 2.27 (Debian 12's libstb) trusts two things in a JPEG that
 * tests/fuzz/fuzz_images.c found it should not (2.28 checks both):
 *  - the 16 code counts of a Huffman table (DHT) adding up to at most 256:
 *    more, and it writes past the table (a heap overflow);
 *  - a scan using only Huffman tables some DHT defined: else it decodes with
 *    uninitialised memory (UBSan: shifts by 36; garbage symbols index past
 *    the tables).
 * So JPEG segments are walked here first, the way stb reads them, and such
 * files are refused before stb sees them. Reads past the end give 0, as in
 * stb. Where stb would give up on the file the walk stops (jw_stop) or goes
 * on: it can then only refuse a file stb refuses too. */
typedef struct jpeg_walk {
    const unsigned char *p;
    size_t n, at;
    unsigned tables;  /* bit 4 * class + id: Huffman tables defined so far */
    int progressive;  /* SOF2 */
    int64_t w, h;     /* of the frame (SOF) */
} jpeg_walk;

static int jw_get8(jpeg_walk *j) { return j->at < j->n ? j->p[j->at++] : 0; }

static int jw_get16(jpeg_walk *j) {
    int hi = jw_get8(j);
    return hi << 8 | jw_get8(j);
}

static void jw_skip(jpeg_walk *j, int count) {
    j->at = count < 0 || (size_t)count > j->n - j->at ? j->n : j->at + (size_t)count;
}

/* stb gives up on the file here: nothing more to check. */
static int jw_stop(jpeg_walk *j) {
    j->at = j->n;
    return 1;
}

/* stb's stbi__get_marker: 0xFF, fill bytes 0xFF, the marker; -1 if the next
 * byte is not 0xFF. */
static int jw_marker(jpeg_walk *j) {
    if (jw_get8(j) != 0xFF) return -1;
    int m;
    while ((m = jw_get8(j)) == 0xFF) continue;
    return m;
}

/* After a scan header stb decodes entropy-coded data, which may stop
 * anywhere short of the next marker, and goes on at that marker: the first
 * 0xFF not followed by 0x00 (a stuffed byte) or a restart (0xD0..0xD7). */
static int jw_marker_after_scan(jpeg_walk *j) {
    while (j->at < j->n)
        if (jw_get8(j) == 0xFF) {
            int m;
            while ((m = jw_get8(j)) == 0xFF) continue;
            if (m != 0 && (m < 0xD0 || m > 0xD7)) return m;
        }
    return -1;
}

/* The tables of a DHT segment: 0 if one has more than 256 codes. */
static int jw_huffman_ok(jpeg_walk *j) {
    int left = jw_get16(j) - 2;
    while (left > 0) {
        const int q = jw_get8(j);
        int codes = 0;
        if (q >> 4 > 1 || (q & 15) > 3) return jw_stop(j); /* bad DHT header */
        for (int i = 0; i < 16; i++) codes += jw_get8(j);
        if (codes > 256) return 0;
        j->tables |= 1u << ((q >> 4) * 4 + (q & 15));
        jw_skip(j, codes);
        left -= 17 + codes;
    }
    return 1;
}

/* A scan header (SOS): 0 if the scan decodes with an undefined Huffman
 * table. A progressive scan uses DC tables in its first DC pass, AC tables
 * in AC passes, and none in DC refinements. */
static int jw_scan_ok(jpeg_walk *j) {
    const int len = jw_get16(j), count = jw_get8(j);
    int selectors[4];
    if (count < 1 || count > 4 || len != 6 + 2 * count) return jw_stop(j);
    for (int i = 0; i < count; i++) {
        jw_get8(j); /* component id */
        selectors[i] = jw_get8(j);
    }
    const int first = jw_get8(j); /* spectral selection: start, then end */
    jw_get8(j);
    const int approx = jw_get8(j); /* successive approximation: high, low */
    const int dc = !j->progressive || (first == 0 && approx >> 4 == 0);
    const int ac = !j->progressive || first > 0;
    for (int i = 0; i < count; i++) {
        const int hd = selectors[i] >> 4, ha = selectors[i] & 15;
        if (hd > 3 || ha > 3) return jw_stop(j); /* bad DC/AC huff */
        if ((dc && !(j->tables >> hd & 1)) || (ac && !(j->tables >> (4 + ha) & 1))) return 0;
    }
    return 1;
}

/* 0 for a JPEG that stb 2.27 would overflow, or decode from garbage; the
 * frame's size in j->w, j->h (0 if none was read). */
static int jpeg_tables_ok(jpeg_walk *j) {
    if (jw_marker(j) != 0xD8) return 1; /* no SOI: stb does not take it for a JPEG */
    int frame = 0;
    for (int m = jw_marker(j);; m = m == 0xDA ? jw_marker_after_scan(j) : jw_marker(j)) {
        /* before the frame header (SOF) stb skips stray bytes between segments */
        while (m < 0 && !frame && j->at < j->n) m = jw_marker(j);
        if (m < 0 || m == 0xD9) return 1; /* stb ends here: no marker, or EOI */
        int ok = 1;
        if (m >= 0xC0 && m <= 0xC2) { /* SOF0-2: stb's frames */
            if (frame) return 1;        /* stb stops at a second one */
            frame = 1, j->progressive = m == 0xC2;
            const int len = jw_get16(j);
            jw_get8(j); /* precision */
            j->h = jw_get16(j);
            j->w = jw_get16(j);
            jw_skip(j, len - 7);
        } else if (m == 0xC4) {
            ok = jw_huffman_ok(j);
        } else if (m == 0xDA) {
            ok = jw_scan_ok(j);
        } else if ((m >= 0xDB && m <= 0xDD) || (m >= 0xE0 && m <= 0xEF) || m == 0xFE) {
            /* quantisation, DNL, restart interval, APPn, comment: stb reads
             * exactly the segment length of a valid one */
            jw_skip(j, jw_get16(j) - 2);
        } else {
            return 1; /* stb stops: unknown marker */
        }
        if (!ok) return 0;
    }
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

/* A JPEG spends at least one bit on each 8 x 8 block of its fullest
 * component (a Huffman code is at least one bit; baseline spends two, DC and
 * end-of-block), while stb decodes a scan cut short as zeros: a 64 x 64 JPEG
 * patched to claim 16000 x 16000 made it allocate and fill 768 MB. So the
 * file must have at least a byte for every 8 blocks of the frame. */
static int jpeg_long_enough(const jpeg_walk *j) {
    const int64_t blocks = (j->w + 7) / 8 * ((j->h + 7) / 8);
    return (uint64_t)(blocks / 8) <= j->n;
}

const char *cli_image_bytes_problem(const unsigned char *p, size_t n) {
    enum image_format format = image_format(p, n);
    if (format == FORMAT_OTHER) return "not a PNG, JPEG or BMP file";
    if (format == FORMAT_PNG) return png_chunks_problem(p, n);
    if (format == FORMAT_BMP && !bmp_long_enough(p, n))
        return "BMP file too short for the pixels its header claims";
    if (format == FORMAT_JPEG) {
        jpeg_walk j = {.p = p, .n = n};
        if (!jpeg_tables_ok(&j)) return "corrupt JPEG: a Huffman table too long or not defined";
        if (!jpeg_long_enough(&j)) return "JPEG file too short for the pixels its header claims";
    }
    return NULL;
}
