package app

import (
	"charter/internal/config"
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
