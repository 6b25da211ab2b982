/* Reads stdin line by line: sums the integers on each line, counts lines/words/bytes, prints
 * each line reversed, then the totals. Lines longer than the buffer are handled in pieces. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    char line[64];
    long total = 0, lines = 0, words = 0, bytes = 0, pieces = 0;
    long long big = 0;
    int inword = 0;
    while (fgets(line, sizeof line, stdin)) {
        size_t len = strlen(line);
        bytes += (long)len;
        pieces++;
        int complete = len > 0 && line[len - 1] == '\n';
        if (complete) lines++;
        char *p = line, *end;
        long linesum = 0;
        for (;;) {
            while (*p && !isdigit((unsigned char)*p) && !((*p == '-' || *p == '+') && isdigit((unsigned char)p[1]))) p++;
            if (!*p) break;
            long v = strtol(p, &end, 10);
            linesum += v;
            big += v;
            p = end;
        }
        for (size_t i = 0; i < len; i++) {
            int sp = isspace((unsigned char)line[i]);
            if (!sp && !inword) words++;
            inword = !sp;
        }
        total += linesum;
        size_t n = complete ? len - 1 : len;
        printf("%3ld %6ld |", pieces, linesum);
        for (size_t i = n; i > 0; i--) putchar(line[i - 1]);
        putchar('\n');
    }
    printf("lines %ld words %ld bytes %ld pieces %ld sum %ld (%lld) eof %d error %d\n", lines, words, bytes, pieces, total,
           big, feof(stdin) != 0, ferror(stdin) != 0);
    return 0;
}
