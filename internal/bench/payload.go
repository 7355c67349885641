package bench

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"
)

// Small is the small session of the benchmarks, about 220 bytes of JSON.
// Every library carries the same type with the same content.
type Small struct {
	UserID    int64     `json:"user_id"`
	Username  string    `json:"username"`
	Roles     []string  `json:"roles"`
	CSRFToken string    `json:"csrf_token"`
	LastSeen  time.Time `json:"last_seen_at"`
}

// Large is the large session: Small and a shopping cart, about 2.6 KB of
// JSON. JSON flattens the embedded Small; gob keeps it as a field.
type Large struct {
	Small
	Cart []Item `json:"cart"`
}

// Item is one line of a shopping cart.
type Item struct {
	SKU        string    `json:"sku"`
	Name       string    `json:"name"`
	Quantity   int       `json:"qty"`
	PriceCents int64     `json:"price_cents"`
	AddedAt    time.Time `json:"added_at"`
}

// userID returns the user ID, which every request handler reads.
func (s *Small) userID() int64 { return s.UserID }

// touch sets the last-seen time, which every read-write handler writes.
func (s *Small) touch(t time.Time) { s.LastSeen = t }

// payload is the constraint of the session types, for code that runs with
// both: P is *Small or *Large.
type payload[T any] interface {
	*T
	userID() int64
	touch(t time.Time)
}

// UserID is the user ID of every session, which the handlers check.
const UserID int64 = 4_812_730_551

// cartSize is the number of items in the large session's cart.
const cartSize = 20

// epoch is the fixed time that the sessions' times derive from, with
// nanoseconds, as a clock would give them.
var epoch = time.Date(2026, time.March, 14, 9, 26, 53, 589_793_238, time.UTC)

var productNames = []string{
	"Merino jumper",
	"Field jacket",
	"Cotton T-shirt",
	"Selvedge jeans",
	"Card holder",
}

// SmallPayload returns a small session: a user ID, a 12-character
// username, three roles, a CSRF token (base64 of 32 random bytes) and a
// last-seen time.
func SmallPayload() Small {
	var csrf [32]byte
	_, _ = rand.Read(csrf[:]) // crypto/rand.Read never fails
	return Small{
		UserID:    UserID,
		Username:  "alice.martin",
		Roles:     []string{"customer", "newsletter-subscriber", "support-viewer"},
		CSRFToken: base64.StdEncoding.EncodeToString(csrf[:]),
		LastSeen:  epoch,
	}
}

// LargePayload returns SmallPayload with a cart of 20 items (SKU, name,
// quantity, price and the time it was added).
func LargePayload() Large {
	p := Large{Small: SmallPayload(), Cart: make([]Item, cartSize)}
	for i := range p.Cart {
		p.Cart[i] = newItem(i, productNames[i%len(productNames)])
	}
	return p
}

// newItem returns the i-th item of a cart, with the given name.
func newItem(i int, name string) Item {
	return Item{
		SKU:        fmt.Sprintf("SKU-%06d-XL", 104_729+i*7_919),
		Name:       name,
		Quantity:   1 + i%3,
		PriceCents: 1_299 + int64(i)*1_050,
		AddedAt:    epoch.Add(-time.Duration(i) * 7 * time.Minute),
	}
}

// GrownPayload returns SmallPayload with a cart whose item names hold n
// characters in all, for finding the largest session that fits a cookie.
// The items are those of LargePayload, the last one's name cut short, so
// that the session compresses as LargePayload does; its encoding grows
// with n under every codec.
func GrownPayload(n int) Large {
	p := Large{Small: SmallPayload()}
	for i := 0; n > 0; i++ {
		name := productNames[i%len(productNames)]
		name = name[:min(n, len(name))]
		p.Cart = append(p.Cart, newItem(i, name))
		n -= len(name)
	}
	return p
}
