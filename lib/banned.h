#ifndef FP_BANNED_H
#define FP_BANNED_H

/*
 * Functions that are too easy to misuse: they overflow silently or keep
 * hidden state. Use snprintf, memcpy with an explicit length, or strtok_r.
 * Included by every .c file in lib/ and stages/ after the system headers.
 */
#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) BANNED(strncat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef gets
#define gets(x) BANNED(gets)

#endif
