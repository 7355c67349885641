package cookiesession

import "encoding/json"

// A Codec turns a session value into bytes and back. Marshal receives a
// pointer to the value and Unmarshal a pointer to a zero value of the
// session type. The bytes are sealed, so Unmarshal only sees what Marshal
// produced, with the same or an earlier version of the program: it should
// accept fields it no longer knows.
//
// A codec must be safe for concurrent use. It must not be type-directed
// (gob, for one, puts type names on the wire and needs registration).
type Codec interface {
	Marshal(v any) ([]byte, error)
	Unmarshal(data []byte, v any) error
}

// JSONCodec is the default [Codec]: encoding/json. Unknown fields are
// ignored, so that removing a field from the session type does not end the
// sessions that carry it. Note that encoding/json replaces invalid UTF-8 in
// strings with U+FFFD: keep binary data in []byte fields.
type JSONCodec struct{}

// Marshal is [json.Marshal].
func (JSONCodec) Marshal(v any) ([]byte, error) { return json.Marshal(v) }

// Unmarshal is [json.Unmarshal].
func (JSONCodec) Unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }
