package artifacts

import "testing"

func TestPartSizeStaysUnder10000PartsAndTheMemoryBudget(t *testing.T) {
	tests := []struct {
		name     string
		c        Copier
		size     int64
		wantPart int64
		wantConc int
	}{
		{name: "defaults", size: 6 << 30, wantPart: 8 << 20, wantConc: 4},
		{name: "below S3's minimum part", c: Copier{PartSize: 1 << 20}, size: 1 << 30, wantPart: 5 << 20, wantConc: 4},
		{name: "78 GiB: 10,000 parts of 8 MiB", size: 10000 * 8 << 20, wantPart: 8 << 20, wantConc: 4},
		{name: "200 GiB: parts grow, concurrency shrinks", size: 200 << 30, wantPart: 21 << 20, wantConc: 1},
		{name: "large budget", c: Copier{PartSize: 64 << 20, Concurrency: 8}, size: 1 << 40, wantPart: 105 << 20, wantConc: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			part, conc := tt.c.partSize(tt.size)
			if part != tt.wantPart || conc != tt.wantConc {
				t.Errorf("partSize(%d) = %d MiB × %d, want %d MiB × %d", tt.size, part>>20, conc, tt.wantPart>>20, tt.wantConc)
			}
			if n := len(split(tt.size, part)); n > maxParts {
				t.Errorf("%d parts", n)
			}
		})
	}
}

func TestFullObjectSHA256(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{in: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", want: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", ok: true},
		{in: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=-3"},                   // composite
		{in: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}, // hex is not base64 of 32 bytes
		{in: `"d41d8cd98f00b204e9800998ecf8427e"`},                               // an ETag
		{in: "AAAAAA=="}, // CRC-sized
		{in: ""},
	}
	for _, tt := range tests {
		got, ok := fullObjectSHA256(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("fullObjectSHA256(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
