/*
 * A stand-in for the vendor's libWeWorkFinanceSdk_C.so, built by the tests
 * with `cc -shared -fPIC`. It exports the calls of the public header
 * WeWorkFinanceSdk_C.h with the same C signatures and honours their
 * contract; it serves data the test hands it through the fake_* calls.
 *
 * The vendor's message cipher is private. Here encrypt_chat_msg is
 * base64(("FAKE:" + message) XOR the random key, repeated), so a wrong key
 * shows up as a wrong prefix (10006). The test writes the other half in Go.
 *
 * It keeps one count of what the caller must free (the SDK handle, slices,
 * media data), so a test can see that everything allocated was freed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct WeWorkFinanceSdk_t {
	char *corpid;
	char *secret;
} WeWorkFinanceSdk_t;

typedef struct Slice_t {
	char *buf;
	int len;
} Slice_t;

typedef struct MediaData {
	char *outindexbuf;
	int out_len;
	char *data;
	int data_len;
	int is_finish;
} MediaData_t;

#define CHUNK (512 * 1024)

static int live;

static char *want_corpid, *want_secret;
static char last_proxy[256], last_passwd[256];
static int last_timeout;

struct item {
	unsigned long long seq;
	char *json;
};
static struct item *items;
static int nitems, capitems;

struct media {
	char *fileid;
	char *data;
	int len;
};
static struct media *media;
static int nmedia;

/* One return code to give, once, from the next call of a function. */
struct failure {
	const char *fn;
	int code;
};
static struct failure failures[] = {
	{"Init", 0}, {"GetChatData", 0}, {"DecryptData", 0}, {"GetMediaData", 0},
};

static char *dup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	memcpy(d, s, n);
	return d;
}

static int take_failure(const char *fn)
{
	for (size_t i = 0; i < sizeof failures / sizeof failures[0]; i++) {
		if (strcmp(failures[i].fn, fn) == 0) {
			int c = failures[i].code;
			failures[i].code = 0;
			return c;
		}
	}
	return 0;
}

/* ---- control, for the tests only ---- */

void fake_expect(const char *corpid, const char *secret)
{
	free(want_corpid);
	free(want_secret);
	want_corpid = dup(corpid);
	want_secret = dup(secret);
}

void fake_add_chat(unsigned long long seq, const char *json)
{
	if (nitems == capitems) {
		capitems = capitems ? 2 * capitems : 64;
		items = realloc(items, capitems * sizeof *items);
	}
	items[nitems].seq = seq;
	items[nitems].json = dup(json);
	nitems++;
}

void fake_add_media(const char *fileid, const char *data, int len)
{
	media = realloc(media, (nmedia + 1) * sizeof *media);
	media[nmedia].fileid = dup(fileid);
	media[nmedia].data = malloc(len ? len : 1);
	memcpy(media[nmedia].data, data, len);
	media[nmedia].len = len;
	nmedia++;
}

void fake_fail(const char *fn, int code)
{
	for (size_t i = 0; i < sizeof failures / sizeof failures[0]; i++)
		if (strcmp(failures[i].fn, fn) == 0)
			failures[i].code = code;
}

int fake_live(void) { return live; }
const char *fake_last_proxy(void) { return last_proxy; }
const char *fake_last_passwd(void) { return last_passwd; }
int fake_last_timeout(void) { return last_timeout; }

/* ---- the header's calls ---- */

WeWorkFinanceSdk_t *NewSdk(void)
{
	live++;
	return calloc(1, sizeof(WeWorkFinanceSdk_t));
}

void DestroySdk(WeWorkFinanceSdk_t *sdk)
{
	if (!sdk)
		return;
	live--;
	free(sdk->corpid);
	free(sdk->secret);
	free(sdk);
}

int Init(WeWorkFinanceSdk_t *sdk, const char *corpid, const char *secret)
{
	int c = take_failure("Init");
	if (c)
		return c;
	if (!sdk || !corpid || !secret || !*corpid || !*secret)
		return 10000;
	free(sdk->corpid);
	free(sdk->secret);
	sdk->corpid = dup(corpid);
	sdk->secret = dup(secret);
	return 0;
}

static void set_slice(Slice_t *s, const char *buf, int len)
{
	free(s->buf);
	s->buf = malloc(len + 1);
	memcpy(s->buf, buf, len);
	s->buf[len] = 0;
	s->len = len;
}

static void remember(const char *proxy, const char *passwd, int timeout)
{
	snprintf(last_proxy, sizeof last_proxy, "%s", proxy ? proxy : "");
	snprintf(last_passwd, sizeof last_passwd, "%s", passwd ? passwd : "");
	last_timeout = timeout;
}

int GetChatData(WeWorkFinanceSdk_t *sdk, unsigned long long seq, unsigned int limit,
		const char *proxy, const char *passwd, int timeout, Slice_t *out)
{
	int c = take_failure("GetChatData");
	if (c)
		return c;
	if (!sdk || !out || !sdk->corpid || limit > 1000)
		return 10000;
	remember(proxy, passwd, timeout);
	if (!want_secret || strcmp(sdk->corpid, want_corpid) || strcmp(sdk->secret, want_secret)) {
		/* The real SDK initialises without the network; a wrong secret
		 * comes back from the server as an errcode in the body. */
		const char *body = "{\"errcode\":41001,\"errmsg\":\"access_token missing\",\"chatdata\":[]}";
		set_slice(out, body, strlen(body));
		return 0;
	}
	size_t cap = 64, n = 0;
	unsigned int taken = 0;
	for (int i = 0; i < nitems; i++)
		if (items[i].seq > seq)
			cap += strlen(items[i].json) + 1;
	char *body = malloc(cap);
	n += sprintf(body, "{\"errcode\":0,\"errmsg\":\"ok\",\"chatdata\":[");
	for (int i = 0; i < nitems && taken < limit; i++) {
		if (items[i].seq <= seq)
			continue;
		if (taken++)
			body[n++] = ',';
		size_t l = strlen(items[i].json);
		memcpy(body + n, items[i].json, l);
		n += l;
	}
	n += sprintf(body + n, "]}");
	set_slice(out, body, n);
	free(body);
	return 0;
}

static int b64val(int ch)
{
	if (ch >= 'A' && ch <= 'Z') return ch - 'A';
	if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9') return ch - '0' + 52;
	if (ch == '+') return 62;
	if (ch == '/') return 63;
	return -1;
}

/* Standard padded base64; returns the length or -1. */
static int b64decode(const char *in, unsigned char *out)
{
	size_t l = strlen(in);
	int n = 0;
	if (l % 4)
		return -1;
	for (size_t i = 0; i < l; i += 4) {
		int v[4];
		for (int j = 0; j < 4; j++) {
			v[j] = in[i + j] == '=' && i + 4 == l && j >= 2 ? 0 : b64val(in[i + j]);
			if (v[j] < 0)
				return -1;
		}
		unsigned int w = v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3];
		out[n++] = w >> 16;
		if (in[i + 2] != '=') out[n++] = w >> 8 & 0xff;
		if (in[i + 3] != '=') out[n++] = w & 0xff;
	}
	return n;
}

int DecryptData(const char *key, const char *msg, Slice_t *out)
{
	int c = take_failure("DecryptData");
	if (c)
		return c;
	if (!key || !msg || !out || !*key || !*msg)
		return 10000;
	/* A key is short and printable: the base64 encrypt_random_key passed
	 * without RSA decryption is refused as unparsable (10008), which public
	 * integrators report of the real SDK. */
	size_t kl = strlen(key);
	if (kl > 64)
		return 10008;
	for (size_t i = 0; i < kl; i++)
		if (key[i] < 0x21 || key[i] > 0x7e)
			return 10008;
	unsigned char *pt = malloc(strlen(msg));
	int n = b64decode(msg, pt);
	if (n < 0) {
		free(pt);
		return 10006;
	}
	for (int i = 0; i < n; i++)
		pt[i] ^= key[i % kl];
	if (n < 5 || memcmp(pt, "FAKE:", 5)) {
		free(pt);
		return 10006;
	}
	set_slice(out, (char *)pt + 5, n - 5);
	free(pt);
	return 0;
}

int GetMediaData(WeWorkFinanceSdk_t *sdk, const char *indexbuf, const char *fileid,
		 const char *proxy, const char *passwd, int timeout, MediaData_t *out)
{
	int c = take_failure("GetMediaData");
	if (c)
		return c;
	if (!sdk || !fileid || !out || !*fileid)
		return 10000;
	remember(proxy, passwd, timeout);
	struct media *m = NULL;
	for (int i = 0; i < nmedia; i++)
		if (strcmp(media[i].fileid, fileid) == 0)
			m = &media[i];
	if (!m)
		return 10005;
	long from = 0, to = 0;
	if (indexbuf && *indexbuf && sscanf(indexbuf, "Range: bytes=%ld-%ld", &from, &to) != 2)
		return 10000;
	if (from < 0 || from > m->len)
		return 10000;
	int n = m->len - from > CHUNK ? CHUNK : m->len - from;
	free(out->data);
	out->data = malloc(n ? n : 1);
	memcpy(out->data, m->data + from, n);
	out->data_len = n;
	out->is_finish = from + n == m->len;
	char next[64] = "";
	if (!out->is_finish) {
		long end = from + n + CHUNK < m->len ? from + n + CHUNK : m->len;
		snprintf(next, sizeof next, "Range: bytes=%ld-%ld", (long)from + n, end - 1);
	}
	free(out->outindexbuf);
	out->outindexbuf = dup(next);
	out->out_len = strlen(next);
	return 0;
}

Slice_t *NewSlice(void)
{
	live++;
	return calloc(1, sizeof(Slice_t));
}

void FreeSlice(Slice_t *s)
{
	if (!s)
		return;
	live--;
	free(s->buf);
	free(s);
}

char *GetContentFromSlice(Slice_t *s) { return s->buf; }
int GetSliceLen(Slice_t *s) { return s->len; }

MediaData_t *NewMediaData(void)
{
	live++;
	return calloc(1, sizeof(MediaData_t));
}

void FreeMediaData(MediaData_t *m)
{
	if (!m)
		return;
	live--;
	free(m->outindexbuf);
	free(m->data);
	free(m);
}

char *GetOutIndexBuf(MediaData_t *m) { return m->outindexbuf; }
char *GetData(MediaData_t *m) { return m->data; }
int GetIndexLen(MediaData_t *m) { return m->out_len; }
int GetDataLen(MediaData_t *m) { return m->data_len; }
int IsMediaDataFinish(MediaData_t *m) { return m->is_finish; }
