/*
 * Signature check (docs/FORMAT.md, "Signature trailer"): SHA-256 over header,
 * tables and payload as they stream by, then the 59-byte signed message
 * "smartdelta/patch/v2" || key id || SHA-256(header || tables || payload), handed to
 * the integrator's Ed25519 verify hook. Kept out of sd_patch.c so a
 * bootloader without signatures does not link it.
 */
#include <string.h>

#include "sd_patch_internal.h"

static const uint8_t domain[19] = {'s', 'm', 'a', 'r', 't', 'd', 'e', 'l', 't', 'a',
                                   '/', 'p', 'a', 't', 'c', 'h', '/', 'v', '2'};

void sd_patch_sig_init(sd_patch_sig *s, const sd_patch_header *h) {
  uint64_t body = (uint64_t)h->header_length + h->tables_length + h->payload_length;
  sd_sha256_init(&s->sha);
  s->body_length = body > 0xFFFFFF00u ? 0xFFFFFF00u : (uint32_t)body; /* too long for any device */
  s->seen = 0;
}

void sd_patch_sig_update(sd_patch_sig *s, const uint8_t *data, size_t len) {
  while (len > 0) {
    size_t n = len;
    uint32_t at = s->seen - s->body_length;
    if (s->seen < s->body_length) { /* header, tables and payload: hashed */
      if (n > s->body_length - s->seen) n = s->body_length - s->seen;
      sd_sha256_update(&s->sha, data, n);
    } else if (at < SD_PATCH_TRAILER_SIZE) { /* the trailer: kept */
      if (n > SD_PATCH_TRAILER_SIZE - at) n = SD_PATCH_TRAILER_SIZE - at;
      memcpy(s->trailer + at, data, n);
    } else { /* more than a trailer: sd_patch_sig_final rejects the length */
      s->seen = s->body_length + SD_PATCH_TRAILER_SIZE + 1u;
      return;
    }
    s->seen += (uint32_t)n;
    data += n;
    len -= n;
  }
}

int sd_patch_sig_final(sd_patch_sig *s, sd_patch_verify_fn verify, void *verify_user) {
  /* The message is built in the hash context's block, free once the last block is compressed
   * (less stack than a buffer of its own, under the hash's compression function). */
  uint8_t *msg = s->sha.block;
  unsigned i;
  if (verify == NULL) return SD_PATCH_ERR_PARAM;
  if (s->seen == s->body_length) return SD_PATCH_ERR_SIGNATURE; /* unsigned */
  if (s->seen != s->body_length + SD_PATCH_TRAILER_SIZE || s->trailer[0] != SD_PATCH_SIGNATURE_ED25519)
    return SD_PATCH_ERR_CORRUPT;
  sd_sha256_final(&s->sha, msg + sizeof domain + SD_PATCH_KEY_ID_SIZE); /* writes the digest last */
  memcpy(msg, domain, sizeof domain);
  /* Byte by byte through volatile: an inlined memcpy to msg + 19 becomes
   * unaligned LDR/STR on Cortex-M4, which fault when unaligned accesses trap. */
  for (i = 0; i < SD_PATCH_KEY_ID_SIZE; i++) msg[sizeof domain + i] = ((const volatile uint8_t *)s->trailer)[1 + i];
  return verify(msg, s->trailer + 1 + SD_PATCH_KEY_ID_SIZE, s->trailer + 1, verify_user) == 0
             ? SD_PATCH_OK
             : SD_PATCH_ERR_SIGNATURE;
}

int sd_patch_verify_stored(const sd_patch_header *h, uint32_t patch_len, sd_patch_read_fn read_patch,
                           void *read_user, sd_patch_verify_fn verify, void *verify_user) {
  sd_patch_sig s;
  uint32_t at = 0;
  int is_signed, rc;
  if (h == NULL || read_patch == NULL || verify == NULL) return SD_PATCH_ERR_PARAM;
  rc = sd_patch_check_size(h, patch_len, &is_signed);
  if (rc) return rc;
  if (!is_signed) return SD_PATCH_ERR_SIGNATURE;
  sd_patch_sig_init(&s, h);
  /* The body goes through s.trailer in pieces (no buffer of its own: less stack), then the trailer, read in
   * place (the patch is signed: exactly one trailer after the body). */
  while (at < patch_len) {
    uint32_t n = s.body_length - at < 64u ? s.body_length - at : 64u;
    if (at >= s.body_length) n = SD_PATCH_TRAILER_SIZE;
    if (read_patch(read_user, at, s.trailer, n) != 0) return SD_PATCH_ERR_IO;
    if (at < s.body_length) sd_patch_sig_update(&s, s.trailer, n);
    else s.seen += n;
    at += n;
  }
  return sd_patch_sig_final(&s, verify, verify_user);
}
