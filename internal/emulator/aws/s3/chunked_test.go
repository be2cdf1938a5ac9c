package s3

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestChunkedReader(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		want     string
		trailers map[string]string
		err      bool
	}{
		{name: "unsigned with trailer",
			body: "5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n",
			want: "hello world", trailers: map[string]string{"X-Amz-Checksum-Crc32": "DUoRhQ=="}},
		{name: "signed chunks",
			body: "5;chunk-signature=abc\r\nhello\r\n0;chunk-signature=def\r\n\r\n", want: "hello"},
		{name: "no final blank line", body: "3\r\nabc\r\n0\r\n", want: "abc"},
		{name: "bad size", body: "zz\r\nabc\r\n", err: true},
		{name: "truncated", body: "10\r\nabc", err: true},
		{name: "missing CRLF after data", body: "3\r\nabcX0\r\n", err: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newChunkedReader(strings.NewReader(tc.body))
			got, err := io.ReadAll(c)
			if (err != nil) != tc.err {
				t.Fatalf("err = %v, want error %v", err, tc.err)
			}
			if tc.err {
				return
			}
			if string(got) != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			for k, v := range tc.trailers {
				if c.trailers.Get(k) != v {
					t.Errorf("trailer %s = %q", k, c.trailers.Get(k))
				}
			}
		})
	}
	if _, err := io.ReadAll(newChunkedReader(strings.NewReader("zz\r\n"))); !errors.Is(err, errMalformedChunk) {
		t.Errorf("malformed chunk error = %v", err)
	}
}
