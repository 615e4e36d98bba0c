package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strconv"
	"strings"

	"charter/internal/archive"
	"charter/internal/attachment"
	capwecom "charter/internal/capture/wecom"
	"charter/internal/capture/wecom/sdk"
	"charter/internal/config"
	"charter/internal/errs"
	"charter/internal/wecom"
)

// newWeCom makes the WeCom connection from the settings: callbacks when
// their token and key are set, the API clients when a secret is (one per
// app: the archive app's, and the customer-contact app's, which defaults
// to it). The archive pull needs the vendor's SDK, opened only by the
// commands that pull (OpenWeComPull).
func (a *App) newWeCom(cfg *config.Config) (*wecom.Service, error) {
	s := wecom.NewService(cfg.WeComCorpID, nil, a.Pipeline, a.Metrics, a.Log, a.Now)
	if cfg.WeComCorpID == "" {
		return s, nil
	}
	inv := &wecom.Inventory{Rooms: a.Registry, Archive: a.Archive, Now: a.Now}
	opts := wecom.Options{BaseURL: cfg.WeComAPIBase}
	if cfg.WeComSecret != "" {
		c, err := wecom.NewClient(cfg.WeComCorpID, cfg.WeComSecret, opts)
		if err != nil {
			return nil, err
		}
		inv.Audit = c
	}
	if secret := cfg.WeComContactSecret; secret != "" || cfg.WeComSecret != "" {
		if secret == "" {
			secret = cfg.WeComSecret
		}
		c, err := wecom.NewClient(cfg.WeComCorpID, secret, opts)
		if err != nil {
			return nil, err
		}
		inv.Groups = c
	}
	s.Inventory = inv
	if cfg.WeComCallbackToken != "" || cfg.WeComCallbackAESKey != "" {
		c, err := wecom.NewCrypto(cfg.WeComCallbackToken, cfg.WeComCallbackAESKey, cfg.WeComCorpID)
		if err != nil {
			return nil, err
		}
		s.Crypto = c
	}
	return s, nil
}

// OpenWeComPull loads the archive's private keys and the vendor's SDK and
// gives the WeCom service its puller; the returned close releases the
// SDK. Only serve and `charter wecom pull` open it: other commands need no
// vendor library.
func (a *App) OpenWeComPull(cfg *config.Config) (close func() error, err error) {
	switch {
	case cfg.WeComCorpID == "":
		return nil, errs.Field("wecom-corp-id", "required to pull the WeCom archive")
	case cfg.WeComSDK == "":
		return nil, errs.Field("wecom-sdk", "required to pull the WeCom archive: the path of libWeWorkFinanceSdk_C.so")
	case cfg.WeComSecret == "":
		return nil, errs.Field("CHARTER_WECOM_SECRET", "required to pull the WeCom archive: the chat-archive app's secret")
	}
	keys, err := loadWeComKeys(cfg.WeComPrivateKeys)
	if err != nil {
		return nil, err
	}
	lib, err := sdk.Open(cfg.WeComSDK, sdk.Options{Proxy: cfg.WeComProxy, ProxyPassword: cfg.WeComProxyPassword})
	if err != nil {
		return nil, errs.Field("wecom-sdk", "%v", err)
	}
	if err := lib.Init(cfg.WeComCorpID, cfg.WeComSecret); err != nil {
		lib.Close()
		return nil, err
	}
	ctx := context.Background() // the cursor outlives any one request
	a.WeCom.Puller = &capwecom.Puller{Source: lib, Decrypter: lib, Keys: keys, Limit: 1000,
		Cursor: &archive.PullCursor{Store: a.DB, Ctx: ctx, Corp: cfg.WeComCorpID, Source: "archive"},
		Sink:   a.Archive.WeComSink(cfg.WeComCorpID, "archive")}
	a.WeCom.WatchLag()
	a.Attachments.Fetch = a.wecomMedia(lib, cfg.MaxAttachment)
	return lib.Close, nil
}

// wecomMedia fetches a file, image, voice or video the archive names by its
// sdkfileid (GetMediaData, 512 KB chunks) into the attachment store. The
// file is held in memory up to the attachment limit to learn its SHA-256
// before it is stored.
func (a *App) wecomMedia(lib *sdk.Client, limit int64) attachment.Fetcher {
	return func(ctx context.Context, ref string) (string, bool, error) {
		id, ok := strings.CutPrefix(ref, "wecom:")
		if !ok {
			return "", false, nil
		}
		var buf bytes.Buffer
		err := lib.GetMediaData(id, "", func(c sdk.Chunk) error {
			if int64(buf.Len()+len(c.Data)) > limit {
				return errs.E(errs.TooLarge, "the file is larger than the attachment limit of %d bytes", limit)
			}
			buf.Write(c.Data)
			return nil
		})
		if err != nil {
			return "", true, err
		}
		sum := sha256.Sum256(buf.Bytes())
		sha := hex.EncodeToString(sum[:])
		_, err = a.Blobs.Put(ctx, sha, bytes.NewReader(buf.Bytes()), limit)
		return sha, true, err
	}
}

// loadWeComKeys reads "1=v1.pem,2=v2.pem": every key version stays, since
// records encrypted before a rotation name the old one.
func loadWeComKeys(spec string) (*capwecom.KeyRing, error) {
	ring := capwecom.NewKeyRing()
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		v, path, ok := strings.Cut(part, "=")
		ver, err := strconv.Atoi(strings.TrimSpace(v))
		if !ok || err != nil || ver < 1 {
			return nil, errs.Field("wecom-private-keys", "%q is not VERSION=FILE", part)
		}
		pem, err := os.ReadFile(strings.TrimSpace(path))
		if err != nil {
			return nil, errs.Field("wecom-private-keys", "version %d: %v", ver, err)
		}
		if err := ring.Add(ver, pem); err != nil {
			return nil, err
		}
	}
	if len(ring.Versions()) == 0 {
		return nil, errs.Field("wecom-private-keys", "required: the archive's RSA private keys, VERSION=FILE,...")
	}
	return ring, nil
}
