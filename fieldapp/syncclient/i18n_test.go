package syncclient_test

import (
	"testing"

	"talbar/assets"
	"talbar/fieldapp/localstore"
	"talbar/fieldapp/syncclient"
	"talbar/shared/i18n"
)

// Every error code of the sync client and the store has a message in both languages.
func TestErrorKeysTranslated(t *testing.T) {
	c, err := i18n.New(assets.Translations())
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, code := range syncclient.Codes {
		keys = append(keys, (&syncclient.Error{Code: code}).Key())
	}
	for _, e := range []*localstore.Error{localstore.ErrNotFound, localstore.ErrNotEnrolled, localstore.ErrEntityMismatch,
		localstore.ErrInvalidID, localstore.ErrNotRejected, localstore.ErrUnknownEntity, localstore.ErrOutsideScope,
		localstore.ErrNotApplied, localstore.ErrResentState, {Code: "invalid"}} {
		keys = append(keys, e.Key())
	}
	// The rejection the client makes up itself is shown like the server's: "reject.<code>".
	keys = append(keys, "reject."+syncclient.CodeTooLarge)
	for _, lang := range i18n.Langs {
		for _, k := range keys {
			if !c.Has(lang, k) {
				t.Errorf("%s: no text for %s", lang, k)
			}
		}
	}
	if miss := c.Missing(); len(miss) > 0 {
		t.Errorf("missing: %v", miss)
	}
}
