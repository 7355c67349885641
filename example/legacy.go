package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/statelessgo/sessions/cookiesession"
)

// legacyCookieName is the name of the gorilla/sessions cookie that the
// demo migrates: the name its application gave to store.Get.
const legacyCookieName = "session"

// parseLegacyKeys parses the key pairs of COOKIESESSION_LEGACY_KEYS: pairs
// separated by commas, newest first, each a hash key and a block key in
// base64 (standard or URL-safe, padded or not) separated by a colon, or a
// hash key alone for a store that signs without encrypting. It returns
// them as GorillaMigration.KeyPairs wants them: hash, block (nil for
// none), hash, block... Errors name the pair by position and say what is
// wrong, never what it holds.
func parseLegacyKeys(value string) ([][]byte, error) {
	pairs := strings.Split(value, ",")
	var keys [][]byte
	for i, pair := range pairs {
		hash, block, err := parseLegacyPair(strings.TrimSpace(pair))
		if err != nil {
			return nil, fmt.Errorf("%s: pair %d of %d %v", legacyKeysVariable, i+1,
				len(pairs), err)
		}
		keys = append(keys, hash, block)
	}
	return keys, nil
}

// parseLegacyPair parses one "hashB64:blockB64" or "hashB64". Its errors
// complete the sentence "pair N of M ...".
func parseLegacyPair(pair string) (hash, block []byte, err error) {
	hashText, blockText, hasBlock := strings.Cut(pair, ":")
	switch {
	case pair == "":
		return nil, nil, errors.New("is empty")
	case strings.Contains(blockText, ":"):
		return nil, nil, errors.New("has more than one colon")
	case hashText == "":
		return nil, nil, errors.New("has no hash key")
	}
	if hash, err = decodeLegacyKey(hashText); err != nil {
		return nil, nil, fmt.Errorf("has a hash key that %v", err)
	}
	if !hasBlock {
		return hash, nil, nil
	}
	if blockText == "" {
		return nil, nil, errors.New("has an empty block key (leave out the colon " +
			"for a store that only signs)")
	}
	if block, err = decodeLegacyKey(blockText); err != nil {
		return nil, nil, fmt.Errorf("has a block key that %v", err)
	}
	if n := len(block); n != 16 && n != 24 && n != 32 {
		return nil, nil, fmt.Errorf("has a block key of %d bytes; AES needs 16, 24 or 32", n)
	}
	return hash, block, nil
}

// decodeLegacyKey decodes a key in standard or URL-safe base64, padded or
// not. Its error completes "a key that ...".
func decodeLegacyKey(s string) ([]byte, error) {
	enc := base64.RawURLEncoding
	if strings.ContainsAny(s, "+/") {
		enc = base64.RawStdEncoding
	}
	b, err := enc.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, errors.New("is not base64")
	}
	return b, nil
}

// gorillaMigration describes the legacy cookies the demo reads: those of a
// gorilla/sessions CookieStore with these key pairs, named "session",
// whose values hold the signed-in user's ID as "user_id", an int.
func (a *app) gorillaMigration(keyPairs [][]byte) cookiesession.GorillaMigration[sessionData] {
	return cookiesession.GorillaMigration[sessionData]{
		CookieName: legacyCookieName,
		KeyPairs:   keyPairs,
		Convert:    a.convertLegacy,
	}
}

// convertLegacy turns the values of an authenticated legacy session into
// the demo's session: the user it names, who must exist. The library calls
// it only for a request that has no session cookie of its own, once the
// legacy cookie has been authenticated, and replaces that cookie on the
// same response; so the migration is logged here, where the demo learns of
// it.
func (a *app) convertLegacy(values map[any]any) (sessionData, error) {
	id, ok := values["user_id"].(int)
	if !ok {
		return sessionData{}, errors.New("the legacy session has no int user_id")
	}
	u := userByID(int64(id))
	if u == nil {
		return sessionData{}, errors.New("the legacy session's user does not exist")
	}
	a.logger.Info("session migrated from a gorilla/sessions cookie", "user_id", u.ID)
	return sessionData{UserID: u.ID}, nil
}
