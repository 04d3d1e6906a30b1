/* The memory-map floor for one and for several threads: maps a classic pcap file (native
 * byte order, as bench/throughput.sh generates it) and walks its records, reading each
 * record header and the packet's Ethernet/VLAN/IP/TCP header bytes and nothing else. With
 * N threads the file is split at record boundaries into N parts walked at once. It shows
 * what reading alone costs and how it scales with threads (BENCHMARKS.md, "Two threads").
 * Build: cc -O2 -pthread -o mapfloor bench/mapfloor.c
 * Usage: mapfloor FILE THREADS */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 8

static const uint8_t *map;
static size_t len;

struct part {
    size_t from, to;
    unsigned long packets, sum;
};

static void *walk(void *arg) {
    struct part *p = arg;
    size_t at = p->from;
    unsigned long packets = 0, sum = 0;
    while (at + 16 <= p->to) {
        uint32_t caplen;
        memcpy(&caplen, map + at + 8, 4);
        const uint8_t *d = map + at + 16;
        at += 16 + (size_t)caplen;
        if (at > len)
            break;
        packets++;
        if (caplen < 54)
            continue;
        unsigned off = 12;
        uint16_t et = (uint16_t)(d[off] << 8 | d[off + 1]);
        while ((et == 0x8100 || et == 0x88a8) && off + 6 + 40 < caplen) {
            off += 4;
            et = (uint16_t)(d[off] << 8 | d[off + 1]);
        }
        off += 2;
        if (et == 0x0800 && off + 34 <= caplen)
            sum += d[off + 9] + d[off + 20 + 13];
        else if (et == 0x86dd && off + 54 <= caplen)
            sum += d[off + 6] + d[off + 40 + 13];
    }
    p->packets = packets;
    p->sum = sum;
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: mapfloor FILE THREADS\n");
        return 2;
    }
    int n = atoi(argv[2]);
    if (n < 1 || n > MAX_THREADS) {
        fprintf(stderr, "THREADS: 1 to %d\n", MAX_THREADS);
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size < 24) {
        perror(argv[1]);
        return 1;
    }
    len = (size_t)st.st_size;
    map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    /* Split points at record boundaries, found with pread so that the walk below is the
     * first to map the pages. */
    size_t split[MAX_THREADS + 1];
    split[0] = 24;
    split[n] = len;
    size_t at = 24;
    for (int k = 1; k < n;) {
        uint8_t head[16];
        uint32_t caplen;
        if (pread(fd, head, 16, (off_t)at) != 16) {
            fprintf(stderr, "file ends in a record header\n");
            return 1;
        }
        memcpy(&caplen, head + 8, 4);
        at += 16 + (size_t)caplen;
        while (k < n && at >= len / n * k)
            split[k++] = at < len ? at : len;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_t threads[MAX_THREADS];
    struct part parts[MAX_THREADS];
    for (int i = 0; i < n; i++) {
        parts[i] = (struct part){.from = split[i], .to = split[i + 1]};
        pthread_create(&threads[i], NULL, walk, &parts[i]);
    }
    unsigned long packets = 0, sum = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(threads[i], NULL);
        packets += parts[i].packets;
        sum += parts[i].sum;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%d thread(s): %lu packets, %.3f s (checksum %lu)\n", n, packets, secs, sum);
    return 0;
}
