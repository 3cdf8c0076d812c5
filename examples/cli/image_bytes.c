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

/* 0 for a JPEG that stb 2.27 would overflow, or decode from garbage. */
static int jpeg_tables_ok(const unsigned char *p, size_t n) {
    jpeg_walk j = {p, n, 0, 0, 0};
    if (jw_marker(&j) != 0xD8) return 1; /* no SOI: stb does not take it for a JPEG */
    int frame = 0;
    for (int m = jw_marker(&j);; m = m == 0xDA ? jw_marker_after_scan(&j) : jw_marker(&j)) {
        /* before the frame header (SOF) stb skips stray bytes between segments */
        while (m < 0 && !frame && j.at < j.n) m = jw_marker(&j);
        if (m < 0 || m == 0xD9) return 1; /* stb ends here: no marker, or EOI */
        int ok = 1;
        if (m >= 0xC0 && m <= 0xC2) { /* SOF0-2: stb's frames */
            if (frame) return 1;        /* stb stops at a second one */
            frame = 1, j.progressive = m == 0xC2;
            jw_skip(&j, jw_get16(&j) - 2);
        } else if (m == 0xC4) {
            ok = jw_huffman_ok(&j);
        } else if (m == 0xDA) {
            ok = jw_scan_ok(&j);
        } else if ((m >= 0xDB && m <= 0xDD) || (m >= 0xE0 && m <= 0xEF) || m == 0xFE) {
            /* quantisation, DNL, restart interval, APPn, comment: stb reads
             * exactly the segment length of a valid one */
            jw_skip(&j, jw_get16(&j) - 2);
        } else {
            return 1; /* stb stops: unknown marker */
        }
        if (!ok) return 0;
    }
}

const char *cli_image_bytes_problem(const unsigned char *p, size_t n) {
    enum image_format format = image_format(p, n);
    if (format == FORMAT_OTHER) return "not a PNG, JPEG or BMP file";
    if (format == FORMAT_PNG) return png_chunks_problem(p, n);
    if (format == FORMAT_JPEG && !jpeg_tables_ok(p, n))
        return "corrupt JPEG: a Huffman table too long or not defined";
    return NULL;
}
