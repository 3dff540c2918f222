/*
 * xenshim: an LD_PRELOAD library that lets Xen's own xenstored (C) and oxenstored (OCaml) run on a
 * machine without a hypervisor, for netbuf's tests. It stands in for the few hypervisor interfaces
 * the daemons open at start (libxenctrl domain info, libxenevtchn, libxengnttab) and redirects the
 * files and sockets they use to a private directory (NETBUF_XENSHIM_DIR):
 *   /proc/xen/xsd_port, /proc/xen/xsd_kva   -> DIR/xsd_port, DIR/xsd_kva (written by the shim)
 *   /var/run/xenstored/socket (bind/unlink)  -> DIR/socket
 * Every domain asked about is reported alive; event channels never fire (their fd is an eventfd
 * nobody writes); grant maps are private zeroed pages. RLIMIT_NOFILE requests above the hard limit
 * are clamped (oxenstored asks for fs.nr_open). Written for netbuf from the interfaces' public
 * headers' shapes; no Xen code is copied.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define PAGE 4096

static const char *shim_dir(void) {
    const char *d = getenv("NETBUF_XENSHIM_DIR");
    return d && *d ? d : NULL;
}

/* Maps a path the daemons hard-code to its place in the shim directory, or returns NULL. */
static const char *redirect(const char *path, char *buf, size_t len) {
    static const char *const names[][2] = {
        {"/proc/xen/xsd_port", "xsd_port"},
        {"/proc/xen/xsd_kva", "xsd_kva"},
        {"/var/run/xenstored/socket", "socket"},
        {"/run/xenstored/socket", "socket"},
        {"/var/run/xenstored/socket_ro", "socket_ro"},
        {"/run/xenstored/socket_ro", "socket_ro"},
    };
    const char *dir = shim_dir();
    if (!dir || !path)
        return NULL;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(path, names[i][0]) == 0) {
            snprintf(buf, len, "%s/%s", dir, names[i][1]);
            return buf;
        }
    }
    return NULL;
}

static int real_open(const char *path, int flags, mode_t mode) {
    static int (*fn)(const char *, int, ...);
    if (!fn)
        fn = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
    return fn(path, flags, mode);
}

int open(const char *path, int flags, ...) {
    mode_t mode = 0;
    char buf[4096];
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    const char *to = redirect(path, buf, sizeof buf);
    return real_open(to ? to : path, flags, mode);
}

int open64(const char *path, int flags, ...) {
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    return open(path, flags, mode);
}

int unlink(const char *path) {
    static int (*fn)(const char *);
    char buf[4096];
    if (!fn)
        fn = (int (*)(const char *))dlsym(RTLD_NEXT, "unlink");
    const char *to = redirect(path, buf, sizeof buf);
    return fn(to ? to : path);
}

int bind(int fd, const struct sockaddr *addr, socklen_t len) {
    static int (*fn)(int, const struct sockaddr *, socklen_t);
    if (!fn)
        fn = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "bind");
    if (addr && addr->sa_family == AF_UNIX) {
        const struct sockaddr_un *un = (const struct sockaddr_un *)addr;
        char path[sizeof un->sun_path + 1];
        char buf[4096];
        memset(path, 0, sizeof path);
        memcpy(path, un->sun_path, sizeof un->sun_path);
        const char *to = redirect(path, buf, sizeof buf);
        if (to) {
            struct sockaddr_un moved;
            memset(&moved, 0, sizeof moved);
            moved.sun_family = AF_UNIX;
            if (strlen(to) >= sizeof moved.sun_path) {
                errno = ENAMETOOLONG;
                return -1;
            }
            strcpy(moved.sun_path, to);
            return fn(fd, (const struct sockaddr *)&moved, sizeof moved);
        }
    }
    return fn(fd, addr, len);
}

static int clamp_nofile(int resource, struct rlimit *want) {
    struct rlimit now;
    if (resource == RLIMIT_NOFILE && getrlimit(RLIMIT_NOFILE, &now) == 0 && want->rlim_max > now.rlim_max) {
        want->rlim_max = now.rlim_max;
        if (want->rlim_cur > now.rlim_max)
            want->rlim_cur = now.rlim_max;
    }
    return resource;
}

int setrlimit(__rlimit_resource_t resource, const struct rlimit *rlim) {
    static int (*fn)(__rlimit_resource_t, const struct rlimit *);
    if (!fn)
        fn = (int (*)(__rlimit_resource_t, const struct rlimit *))dlsym(RTLD_NEXT, "setrlimit");
    struct rlimit copy = *rlim;
    clamp_nofile(resource, &copy);
    return fn(resource, &copy);
}

int setrlimit64(__rlimit_resource_t resource, const struct rlimit64 *rlim) {
    struct rlimit copy = {rlim->rlim_cur, rlim->rlim_max};
    return setrlimit(resource, &copy);
}

/* ---- libxenctrl: an interface handle and domain info (every domain asked about is alive) ---- */

struct handle {
    int fd;
    uint32_t next_port;
};

static struct handle *new_handle(void) {
    struct handle *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    h->next_port = 1;
    if (h->fd < 0) {
        free(h);
        return NULL;
    }
    return h;
}

void *xc_interface_open(void *logger, void *dombuild_logger, unsigned flags) {
    (void)logger; (void)dombuild_logger; (void)flags;
    return new_handle();
}

int xc_interface_close(void *xch) {
    struct handle *h = xch;
    if (h) {
        close(h->fd);
        free(h);
    }
    return 0;
}

/* xc_dominfo_t starts {uint32_t domid; uint32_t ssidref; bit flags (dying, crashed, shutdown, ...)}:
 * domid set, everything else zero is a live, running, not dying domain. The struct is well over
 * 64 bytes; the daemons read only the leading fields. */
int xc_domain_getinfo(void *xch, uint32_t first, unsigned int max, void *info) {
    (void)xch;
    if (max == 0 || !info)
        return 0;
    memset(info, 0, 64);
    *(uint32_t *)info = first;
    return 1;
}

/* xc_domaininfo_t (struct xen_domctl_getdomaininfo) starts {uint16_t domain; uint16_t pad; uint32_t flags}. */
int xc_domain_getinfolist(void *xch, uint32_t first, unsigned int max, void *info) {
    (void)xch;
    if (max == 0 || !info)
        return 0;
    memset(info, 0, 64);
    *(uint16_t *)info = (uint16_t)first;
    return 1;
}

int xc_evtchn_alloc_unbound(void *xch, uint32_t dom, uint32_t remote) {
    (void)xch; (void)dom; (void)remote;
    static uint32_t port = 1000;
    return (int)port++;
}

/* ---- libxenevtchn: ports that never fire ---- */

void *xenevtchn_open(void *logger, unsigned flags) {
    (void)logger; (void)flags;
    return new_handle();
}

void *xenevtchn_fdopen(void *logger, int fd, unsigned flags) {
    (void)logger; (void)flags;
    struct handle *h = new_handle();
    if (h && fd >= 0)
        close(fd);
    return h;
}

int xenevtchn_close(void *xce) { return xc_interface_close(xce); }

int xenevtchn_fd(void *xce) { return ((struct handle *)xce)->fd; }

int xenevtchn_bind_interdomain(void *xce, uint32_t domid, uint32_t remote) {
    (void)domid; (void)remote;
    return (int)((struct handle *)xce)->next_port++;
}

int xenevtchn_bind_virq(void *xce, unsigned int virq) {
    (void)virq;
    return (int)((struct handle *)xce)->next_port++;
}

int xenevtchn_bind_unbound_port(void *xce, uint32_t domid) {
    (void)domid;
    return (int)((struct handle *)xce)->next_port++;
}

int xenevtchn_notify(void *xce, uint32_t port) { (void)xce; (void)port; return 0; }
int xenevtchn_unbind(void *xce, uint32_t port) { (void)xce; (void)port; return 0; }
int xenevtchn_unmask(void *xce, uint32_t port) { (void)xce; (void)port; return 0; }

int xenevtchn_pending(void *xce) {
    (void)xce;
    errno = EAGAIN;
    return -1;
}

/* ---- libxengnttab: a grant map is a private zeroed page ---- */

void *xengnttab_open(void *logger, unsigned flags) {
    (void)logger; (void)flags;
    return new_handle();
}

int xengnttab_close(void *xgt) { return xc_interface_close(xgt); }
int xengnttab_set_max_grants(void *xgt, uint32_t count) { (void)xgt; (void)count; return 0; }

void *xengnttab_map_grant_ref(void *xgt, uint32_t domid, uint32_t ref, int prot) {
    (void)xgt; (void)domid; (void)ref; (void)prot;
    void *page = NULL;
    if (posix_memalign(&page, PAGE, PAGE) != 0)
        return NULL;
    memset(page, 0, PAGE);
    return page;
}

int xengnttab_unmap(void *xgt, void *start, uint32_t count) {
    (void)xgt; (void)count;
    free(start);
    return 0;
}

/* Creates DIR/xsd_port ("1") and DIR/xsd_kva (one zeroed page: dom0's ring, never written by a guest). */
__attribute__((constructor)) static void prepare(void) {
    const char *dir = shim_dir();
    char path[4096];
    if (!dir)
        return;
    snprintf(path, sizeof path, "%s/xsd_port", dir);
    int fd = real_open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) {
        if (write(fd, "1", 1) != 1)
            perror("xenshim: xsd_port");
        close(fd);
    }
    snprintf(path, sizeof path, "%s/xsd_kva", dir);
    fd = real_open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
        struct stat st;
        if (fstat(fd, &st) == 0 && st.st_size < PAGE && ftruncate(fd, PAGE) != 0)
            perror("xenshim: xsd_kva");
        close(fd);
    }
}
