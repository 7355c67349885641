package bench

import (
	"fmt"

	jsonv2 "github.com/go-json-experiment/json"
)

// RawCodec is a pass-through cookiesession.Codec for sessions of type
// []byte: Marshal returns the value's own bytes and Unmarshal copies them.
// It measures the framing (envelope, AEAD, base64) without any encoding.
//
// It is for benchmarks only: Marshal returns memory that the session still
// owns, which the middleware would keep as the baseline of its change
// detection.
type RawCodec struct{}

// Marshal returns the bytes that v, a *[]byte, points to.
func (RawCodec) Marshal(v any) ([]byte, error) {
	p, ok := v.(*[]byte)
	if !ok {
		return nil, fmt.Errorf("bench: RawCodec encodes *[]byte, not %T", v)
	}
	return *p, nil
}

// Unmarshal sets v, a *[]byte, to a copy of data.
func (RawCodec) Unmarshal(data []byte, v any) error {
	p, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("bench: RawCodec decodes into *[]byte, not %T", v)
	}
	*p = append([]byte(nil), data...)
	return nil
}

// JSONv2Codec is a cookiesession.Codec on the JSON v2 engine
// (github.com/go-json-experiment/json, which Go ships as encoding/json/v2
// under GOEXPERIMENT=jsonv2). It ignores unknown fields, as the default
// codec does, and its output for the benchmark payloads is the same JSON.
type JSONv2Codec struct{}

// Marshal encodes v as JSON.
func (JSONv2Codec) Marshal(v any) ([]byte, error) { return jsonv2.Marshal(v) }

// Unmarshal decodes JSON into v.
func (JSONv2Codec) Unmarshal(data []byte, v any) error { return jsonv2.Unmarshal(data, v) }
