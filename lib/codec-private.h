/* Small decoders shared by detectors and front ends. */
#ifndef KAG_CODEC_PRIVATE_H
#define KAG_CODEC_PRIVATE_H

/* Value of a hex digit, or -1. */
int kag__hex_value(char c);
/* Value of a base64 digit (standard and URL-safe alphabets), or -1. */
int kag__b64_value(unsigned char c);

#endif
