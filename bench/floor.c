/* The libpcap floor: a C loop over pcap_next_ex that parses the Ethernet and IP headers of
 * every packet and does nothing else. No tool built on libpcap's file reader can be faster.
 * Build: cc -O2 -o floor bench/floor.c -lpcap */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdint.h>

int main(int argc, char **argv) {
    char err[PCAP_ERRBUF_SIZE];
    if (argc != 2) {
        fprintf(stderr, "usage: floor FILE\n");
        return 2;
    }
    pcap_t *p = pcap_open_offline(argv[1], err);
    if (!p) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    struct pcap_pkthdr *h;
    const u_char *d;
    unsigned long packets = 0, bytes = 0, tcp = 0;
    while (pcap_next_ex(p, &h, &d) == 1) {
        packets++;
        bytes += h->caplen;
        if (h->caplen < 34)
            continue;
        unsigned off = 12;
        uint16_t et = (d[off] << 8) | d[off + 1];
        while ((et == 0x8100 || et == 0x88a8) && off + 6 < h->caplen) {
            off += 4;
            et = (d[off] << 8) | d[off + 1];
        }
        off += 2;
        if (et == 0x0800 && off + 20 <= h->caplen && d[off + 9] == 6)
            tcp++;
        else if (et == 0x86dd && off + 40 <= h->caplen && d[off + 6] == 6)
            tcp++;
    }
    printf("%lu packets, %lu bytes, %lu tcp\n", packets, bytes, tcp);
    pcap_close(p);
    return 0;
}
