/* Reading inputs without blocking, and the one atomic writer of the CLI
 * (see files.h for the rules). */
#define _DEFAULT_SOURCE /* realpath, fchmod */
#include "files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* What a file that is not a regular one is, for messages. */
static const char *kind_of(mode_t m) {
    return S_ISDIR(m)    ? "a directory"
           : S_ISCHR(m)  ? "a character device"
           : S_ISBLK(m)  ? "a block device"
           : S_ISFIFO(m) ? "a FIFO"
           : S_ISSOCK(m) ? "a socket"
                         : "not a regular file";
}

/* An fd of a regular file open for reading, or -1 after a message. */
static int open_regular(const char *path) {
    struct stat st;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "unetseg: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0) {
        fprintf(stderr, "unetseg: %s: %s\n", path, strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        fprintf(stderr, "unetseg: %s: %s, not a regular file: not read\n", path, kind_of(st.st_mode));
    } else if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0) {
        fprintf(stderr, "unetseg: %s: %s\n", path, strerror(errno));
    } else {
        return fd;
    }
    close(fd);
    return -1;
}

FILE *cli_open_input(const char *path) {
    int fd = open_regular(path);
    FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
    if (fd >= 0 && !f) {
        fprintf(stderr, "unetseg: %s: %s\n", path, strerror(errno));
        close(fd);
    }
    return f;
}

int cli_check_input(const char *path) {
    int fd = open_regular(path);
    if (fd >= 0) close(fd);
    return fd >= 0;
}

/* ---------------------------------------------------------------- outputs */

static int refuse(const char *path, const char *why) {
    fprintf(stderr, "unetseg: %s: %s: not replaced\n", path, why);
    return 0;
}

/* The rules of files.h on `path`: out->path is where to write. */
static int check_target(const char *path, cli_output *out) {
    struct stat st;
    *out = (cli_output){.exists = 0};
    if (snprintf(out->path, sizeof out->path, "%s", path) >= (int)sizeof out->path)
        return refuse(path, "path too long");
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT) return 1; /* a new file */
        fprintf(stderr, "unetseg: %s: %s\n", path, strerror(errno));
        return 0;
    }
    if (S_ISLNK(st.st_mode)) { /* written through: the link stays a link */
        char *real = realpath(path, NULL);
        if (!real) return refuse(path, "a symbolic link to nothing (or to where it cannot see)");
        int fits = snprintf(out->path, sizeof out->path, "%s", real) < (int)sizeof out->path;
        free(real);
        if (!fits) return refuse(path, "its link target's path is too long");
        if (stat(out->path, &st) != 0) {
            fprintf(stderr, "unetseg: %s: %s\n", out->path, strerror(errno));
            return 0;
        }
    }
    char why[160];
    if (!S_ISREG(st.st_mode)) {
        snprintf(why, sizeof why, "%s, not a regular file", kind_of(st.st_mode));
        return refuse(path, why);
    }
    if (st.st_uid != geteuid()) {
        snprintf(why, sizeof why, "owned by another user (uid %lu)", (unsigned long)st.st_uid);
        return refuse(path, why);
    }
    if (!(st.st_mode & S_IWUSR)) return refuse(path, "read-only (no owner write permission)");
    out->exists = 1;
    out->mode = st.st_mode & 07777;
    return 1;
}

/* "<dir>/" of a path ("" for none) and its last component. */
static void split_path(const char *path, char *dir, size_t size, const char **base) {
    const char *slash = strrchr(path, '/');
    *base = slash ? slash + 1 : path;
    snprintf(dir, size, "%.*s", slash ? (int)(slash - path + 1) : 0, path);
}

/* NAME is BASE ".tmp." and 16 lower-case hex digits: the library's and
 * this writer's temporary names. */
static int is_temp_of(const char *name, const char *base) {
    size_t len = strlen(base);
    if (strncmp(name, base, len) != 0 || strncmp(name + len, ".tmp.", 5) != 0) return 0;
    const char *hex = name + len + 5;
    return strlen(hex) == 16 && strspn(hex, "0123456789abcdef") == 16;
}

static void remove_stale_temps(const char *target) {
    char dir[4096], path[8192];
    const char *base;
    split_path(target, dir, sizeof dir, &base);
    DIR *d = opendir(*dir ? dir : ".");
    if (!d) return;
    const time_t now = time(NULL);
    for (struct dirent *e; (e = readdir(d));) {
        struct stat st;
        if (!is_temp_of(e->d_name, base)) continue;
        snprintf(path, sizeof path, "%s%s", dir, e->d_name);
        if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
            now - st.st_mtime < CLI_STALE_TEMP_SECONDS)
            continue;
        if (unlink(path) == 0)
            fprintf(stderr, "unetseg: removed %s, a temporary file left by a writer that stopped\n", path);
    }
    closedir(d);
}

int cli_output_prepare(const char *path, cli_output *out) {
    if (!check_target(path, out)) return 0;
    remove_stale_temps(out->path);
    return 1;
}

void cli_output_done(const cli_output *out) {
    if (out->exists) chmod(out->path, out->mode);
}

/* Create "<target>.tmp.<16 hex>" exclusively: the fd, or -1 (errno). */
static int create_temp(const char *target, char *tmp, size_t size) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t s = ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec;
    for (int attempt = 0; attempt < 100; attempt++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        if (snprintf(tmp, size, "%s.tmp.%016llx", target, (unsigned long long)s) >= (int)size) {
            errno = ENAMETOOLONG;
            return -1;
        }
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    return -1;
}

int cli_write_file(const char *path, int (*write)(FILE *f, void *ctx), void *ctx) {
    cli_output out;
    char tmp[4096 + 32];
    if (!cli_output_prepare(path, &out)) return 0;
    int fd = create_temp(out.path, tmp, sizeof tmp);
    if (fd < 0) {
        fprintf(stderr, "unetseg: %s: cannot create a temporary file: %s\n", path, strerror(errno));
        return 0;
    }
    FILE *f = fdopen(fd, "wb");
    int ok = f != NULL;
    if (!f) close(fd);
    errno = 0;
    ok = ok && write(f, ctx) && !ferror(f) && fflush(f) == 0 && fsync(fileno(f)) == 0;
    if (ok && out.exists) ok = fchmod(fileno(f), out.mode) == 0;
    int err = errno ? errno : EIO;
    if (f && fclose(f) != 0 && ok) ok = 0, err = errno;
    if (ok && rename(tmp, out.path) != 0) ok = 0, err = errno;
    if (!ok) {
        fprintf(stderr, "unetseg: %s: cannot write: %s\n", path, strerror(err));
        unlink(tmp);
    }
    return ok;
}
