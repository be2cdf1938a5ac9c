package s3

import (
	"testing"
)

func TestParseRange(t *testing.T) {
	tests := []struct {
		header        string
		size          int64
		start, length int64
		ranged        bool
		invalid       bool
	}{
		{"", 10, 0, 10, false, false},
		{"bytes=0-0", 10, 0, 1, true, false},
		{"bytes=2-5", 10, 2, 4, true, false},
		{"bytes=2-", 10, 2, 8, true, false},
		{"bytes=-4", 10, 6, 4, true, false},
		{"bytes=-40", 10, 0, 10, true, false},
		{"bytes=9-20", 10, 9, 1, true, false},
		{"bytes=10-", 10, 0, 0, false, true},
		{"bytes=-0", 10, 0, 0, false, true},
		{"bytes=5-2", 10, 0, 10, false, false}, // unparseable: whole object
		{"bytes=0-1,4-5", 10, 0, 10, false, false},
		{"items=0-1", 10, 0, 10, false, false},
		{"bytes=0-", 0, 0, 0, false, true},
	}
	for _, tc := range tests {
		start, length, ranged, err := parseRange(tc.header, tc.size)
		if (err != nil) != tc.invalid {
			t.Errorf("%q: err %v", tc.header, err)
			continue
		}
		if err == nil && (start != tc.start || length != tc.length || ranged != tc.ranged) {
			t.Errorf("%q of %d: %d+%d ranged=%v, want %d+%d ranged=%v", tc.header, tc.size, start, length, ranged, tc.start, tc.length, tc.ranged)
		}
	}
}

func TestParseCopySource(t *testing.T) {
	tests := []struct {
		in, bucket, key, code string
	}{
		{in: "b/k", bucket: "b", key: "k"},
		{in: "/b/dir/k.tar.gz", bucket: "b", key: "dir/k.tar.gz"},
		{in: "b%2Fdir%2Fa%20b%2Bc%25.json", bucket: "b", key: "dir/a b+c%.json"},
		{in: "b/dir/a+b", bucket: "b", key: "dir/a+b"}, // '+' is not a space in a path
		{in: "b/k?versionId=abc", bucket: "b", key: "k"},
		{in: "b/a b", code: "InvalidArgument"},
		{in: "b/caf\xc3\xa9", code: "InvalidArgument"},
		{in: "b/50%", code: "InvalidArgument"},
		{in: "b/", code: "InvalidArgument"},
		{in: "b", code: "InvalidArgument"},
	}
	for _, tc := range tests {
		b, k, err := parseCopySource(tc.in)
		code := ""
		if err != nil {
			code = err.code
		}
		if code != tc.code || b != tc.bucket || k != tc.key {
			t.Errorf("%q: (%q, %q, %q), want (%q, %q, %q)", tc.in, b, k, code, tc.bucket, tc.key, tc.code)
		}
	}
}

func TestCopySourceRange(t *testing.T) {
	tests := []struct {
		in            string
		start, length int64
		code          string
	}{
		{in: "bytes=0-9", start: 0, length: 10},
		{in: "bytes=5-5", start: 5, length: 1},
		{in: "bytes=0-100", code: "InvalidArgument"},
		{in: "bytes=5-", code: "InvalidArgument"},
		{in: "bytes=6-5", code: "InvalidArgument"},
		{in: "0-5", code: "InvalidArgument"},
	}
	for _, tc := range tests {
		start, length, err := copySourceRange(tc.in, 100)
		if tc.in == "bytes=0-100" && err == nil {
			t.Errorf("%q: accepted past the end", tc.in)
		}
		code := ""
		if err != nil {
			code = err.code
		}
		if code != tc.code || (err == nil && (start != tc.start || length != tc.length)) {
			t.Errorf("%q: %d+%d %q", tc.in, start, length, code)
		}
	}
}
